using FedLlm.Foundation.Randomness;

namespace FedLlm.Training.Runs;

/// <summary>
/// Holds out a fraction of records, chosen by a Fisher–Yates shuffle driven by SplitMix64 (Steele et al. 2014) so the
/// split depends only on the seed, never on the .NET version. Both parts keep the file's record order.
/// </summary>
public static class HeldOutSplit
{
    public static (IReadOnlyList<T> Train, IReadOnlyList<T> HeldOut) Split<T>(IReadOnlyList<T> records, double fraction, ulong seed)
    {
        if (fraction is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "held-out fraction must be in [0, 1)");
        int heldOutCount = records.Count < 2 ? 0 : Math.Min(records.Count - 1, (int)Math.Round(records.Count * fraction));
        var indices = Enumerable.Range(0, records.Count).ToArray();
        new SplitMix64(seed ^ 0x48454C444F5554UL).Shuffle(indices); // "HELDOUT": a stream apart from other uses of the seed
        var heldOut = new bool[records.Count];
        foreach (int index in indices.Take(heldOutCount)) heldOut[index] = true;
        return (records.Where((_, i) => !heldOut[i]).ToList(), records.Where((_, i) => heldOut[i]).ToList());
    }
}
