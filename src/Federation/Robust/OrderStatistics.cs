namespace FedLlm.Federation.Robust;

/// <summary>Small deterministic order statistics over the K values of a round (K is tens, not millions).</summary>
internal static class OrderStatistics
{
    /// <summary>The median of sorted values; the mean of the two middle ones for an even count (as numpy.median).</summary>
    public static double MedianOfSorted(ReadOnlySpan<float> sorted)
    {
        int n = sorted.Length;
        return n % 2 == 1 ? sorted[n / 2] : ((double)sorted[n / 2 - 1] + sorted[n / 2]) / 2.0;
    }

    /// <summary>The median of <paramref name="values"/>, reordering them (sorting: K is small, and ties need no care).</summary>
    public static double Median(Span<double> values)
    {
        if (values.IsEmpty) throw new ArgumentException("the median of no values is undefined");
        values.Sort();
        int n = values.Length;
        return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2.0;
    }

    /// <summary>
    /// Indices of the <paramref name="count"/> smallest scores, ties going to the lower index, returned in ascending
    /// index order so callers keep the input order of updates.
    /// </summary>
    public static int[] LowestIndices(ReadOnlySpan<double> scores, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, scores.Length);
        int[] order = [.. Enumerable.Range(0, scores.Length)];
        double[] keys = scores.ToArray();
        // A stable sort by (score, index): Array.Sort is introspective and unstable, so the index breaks ties explicitly.
        Array.Sort(order, (a, b) => keys[a] != keys[b] ? keys[a].CompareTo(keys[b]) : a.CompareTo(b));
        int[] chosen = order[..count];
        Array.Sort(chosen);
        return chosen;
    }
}
