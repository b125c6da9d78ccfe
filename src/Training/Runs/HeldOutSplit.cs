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
        ulong state = seed ^ 0x48454C444F5554UL; // "HELDOUT": a stream apart from other uses of the seed
        for (int i = indices.Length - 1; i > 0; i--)
        {
            int j = (int)(Next(ref state) % (ulong)(i + 1));
            (indices[i], indices[j]) = (indices[j], indices[i]);
        }
        var heldOut = new bool[records.Count];
        foreach (int index in indices.Take(heldOutCount)) heldOut[index] = true;
        return (records.Where((_, i) => !heldOut[i]).ToList(), records.Where((_, i) => heldOut[i]).ToList());
    }

    private static ulong Next(ref ulong state)
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
