using FedLlm.Data.Formats;

namespace FedLlm.Data.Loading;

/// <summary>Counts of one load; filled while the examples are enumerated.</summary>
public sealed class LoadReport(string path)
{
    /// <summary>How many skip reasons are kept; the count covers all of them.</summary>
    public const int MaxReasons = 10;

    private readonly List<string> _reasons = [];

    public string Path { get; } = path;

    /// <summary>The format used (the detected one when Auto was asked for); null until the first record is converted.</summary>
    public RecordFormat? Format { get; internal set; }

    public long Read => Kept + Skipped;

    public long Kept { get; private set; }

    public long Skipped { get; private set; }

    /// <summary>The first <see cref="MaxReasons"/> reasons, each "location: problem".</summary>
    public IReadOnlyList<string> SkipReasons => _reasons;

    internal void CountKept() => Kept++;

    internal void CountSkipped(string reason)
    {
        Skipped++;
        if (_reasons.Count < MaxReasons) _reasons.Add(reason);
    }

    public override string ToString() =>
        $"{Path}: read {Read}, kept {Kept}, skipped {Skipped}" + (Format is { } f ? $" (format {f})" : "") +
        (_reasons.Count > 0 ? "; first problems:\n  " + string.Join("\n  ", _reasons) : "");
}
