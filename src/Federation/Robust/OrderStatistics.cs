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

    /// <summary>
    /// The median of <paramref name="values"/> (mean of the two middle ones for an even count), reordering them.
    /// Quickselect rather than a sort: the residual rule takes K + 1 medians per coordinate.
    /// </summary>
    public static double Median(Span<double> values)
    {
        if (values.IsEmpty) throw new ArgumentException("the median of no values is undefined");
        int n = values.Length;
        int middle = n / 2;
        double upper = Select(values, middle);
        if (n % 2 == 1) return upper;
        // After selecting, everything left of the middle is ≤ it: the lower middle value is their maximum.
        double lower = values[0];
        for (int i = 1; i < middle; i++) lower = Math.Max(lower, values[i]);
        return (lower + upper) / 2.0;
    }

    /// <summary>Hoare's quickselect with a median-of-three pivot: places the k-th smallest at k and returns it.</summary>
    private static double Select(Span<double> values, int k)
    {
        int left = 0;
        int right = values.Length - 1;
        while (right > left)
        {
            int mid = left + (right - left) / 2;
            if (values[mid] < values[left]) (values[mid], values[left]) = (values[left], values[mid]);
            if (values[right] < values[left]) (values[right], values[left]) = (values[left], values[right]);
            if (values[right] < values[mid]) (values[right], values[mid]) = (values[mid], values[right]);
            double pivot = values[mid];
            int i = left;
            int j = right;
            while (i <= j)
            {
                while (values[i] < pivot) i++;
                while (values[j] > pivot) j--;
                if (i <= j)
                {
                    (values[i], values[j]) = (values[j], values[i]);
                    i++;
                    j--;
                }
            }
            if (k <= j) right = j;
            else if (k >= i) left = i;
            else return values[k];
        }
        return values[k];
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
