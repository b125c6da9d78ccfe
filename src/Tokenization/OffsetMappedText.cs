using System.Text;

namespace FedLlm.Tokenization;

/// <summary>
/// A normalised text that remembers, for each of its UTF-16 units, the char range of the original input it came from,
/// so tokens of the normalised text can report offsets into the original. Inserted chars get an empty range.
/// </summary>
internal sealed class OffsetMappedText
{
    private readonly StringBuilder _text = new();
    private readonly List<int> _originalStart = [];
    private readonly List<int> _originalEnd = [];
    private string? _cached;

    public int Length => _text.Length;

    public string Text => _cached ??= _text.ToString();

    /// <summary>Appends <paramref name="value"/>, all of whose units map to original range [start, end).</summary>
    public void Append(char value, int start, int end)
    {
        _text.Append(value);
        _originalStart.Add(start);
        _originalEnd.Add(end);
        _cached = null;
    }

    public void Append(ReadOnlySpan<char> value, int start, int end)
    {
        foreach (char c in value) Append(c, start, end);
    }

    /// <summary>Appends original text unchanged, each unit mapping to itself.</summary>
    public void AppendOriginal(string original, int start, int end)
    {
        for (int i = start; i < end; i++) Append(original[i], i, i + 1);
    }

    /// <summary>Original char range of normalised units [first, end).</summary>
    public (int Start, int End) OriginalRange(int first, int end) =>
        end <= first ? (_originalStart[first], _originalStart[first]) : (_originalStart[first], _originalEnd[end - 1]);
}
