using FedLlm.Models.Lora;

namespace FedLlm.Federation.Pruning;

/// <summary>
/// What every party needs to know about a run's pruning: the mode, the schedule, the adapter layout and the run seed.
/// The server uses only <see cref="UploadLength"/> (public information) to check ciphertext lengths; clients use
/// <see cref="PrepareUpload"/> before encrypting and <see cref="ExpandMean"/> after decrypting.
/// </summary>
public sealed class PruningPlan
{
    private SharedPruningMask? _cachedMask;
    private int _cachedRound = -1;

    public PruningPlan(PruningMode mode, PruningSchedule schedule, ParameterLayout layout, ulong runSeed)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        ArgumentNullException.ThrowIfNull(layout);
        IReadOnlyList<string> problems = schedule.Validate();
        if (problems.Count > 0) throw new ArgumentException("invalid pruning schedule: " + string.Join("; ", problems), nameof(schedule));
        if (layout.TotalLength > int.MaxValue) throw new ArgumentException($"the layout has {layout.TotalLength} values, more than one vector can hold", nameof(layout));
        Mode = mode;
        Schedule = schedule;
        Layout = layout;
        RunSeed = runSeed;
    }

    public PruningMode Mode { get; }
    public PruningSchedule Schedule { get; }
    public ParameterLayout Layout { get; }
    public ulong RunSeed { get; }
    public int ParameterCount => (int)Layout.TotalLength;

    /// <summary>The fraction pruned in <paramref name="round"/> (0 when the mode is <see cref="PruningMode.None"/>).</summary>
    public double RateAt(int round) => Mode == PruningMode.None ? 0 : Schedule.RateAt(round);

    /// <summary>How many values each client encrypts and uploads in <paramref name="round"/>.</summary>
    public int UploadLength(int round) =>
        Mode == PruningMode.SharedMask ? SharedPruningMask.KeptCountFor(Layout, RateAt(round)) : ParameterCount;

    /// <summary>The round's shared mask (rebuilt from the run seed), or null unless the mode is <see cref="PruningMode.SharedMask"/>.</summary>
    public SharedPruningMask? MaskFor(int round)
    {
        if (Mode != PruningMode.SharedMask) return null;
        if (_cachedRound != round || _cachedMask is null)
        {
            _cachedMask = SharedPruningMask.FromRoundSeed(Layout, RateAt(round), RunSeed, round);
            _cachedRound = round;
        }
        return _cachedMask;
    }

    /// <summary>The values a client encrypts: its delta pruned per tensor, gathered by the shared mask, or unchanged.</summary>
    public float[] PrepareUpload(int round, ReadOnlySpan<float> delta)
    {
        MagnitudePruner.CheckLength(delta.Length, Layout);
        switch (Mode)
        {
            case PruningMode.PerTensor:
                float[] pruned = delta.ToArray();
                MagnitudePruner.PruneInPlace(pruned, Layout, RateAt(round));
                return pruned;
            case PruningMode.SharedMask:
                return MaskFor(round)!.Gather(delta);
            default:
                return delta.ToArray();
        }
    }

    /// <summary>
    /// The full-length mean delta from the decrypted <paramref name="mean"/> of <see cref="UploadLength"/> values: scattered
    /// by the round's shared mask (pruned entries 0), or as it is.
    /// </summary>
    public double[] ExpandMean(int round, ReadOnlySpan<float> mean)
    {
        var full = new float[ParameterCount];
        if (MaskFor(round) is { } mask) mask.ScatterAdd(mean, full);
        else if (mean.Length != full.Length) throw new ArgumentException($"{mean.Length} mean values for {full.Length} parameters", nameof(mean));
        else mean.CopyTo(full);
        return Array.ConvertAll(full, v => (double)v);
    }
}
