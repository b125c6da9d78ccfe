namespace FedLlm.Evaluation.Statistics;

/// <summary>Which entries of a table row or column are marked best: eval's models per aggregate, bench's methods per dataset.</summary>
public static class Best
{
    /// <summary>
    /// The positions holding the best finite value (all of them on a tie); none when fewer than two values are finite or
    /// all finite values are equal, since then nothing stands out.
    /// </summary>
    public static IReadOnlySet<int> Rows(IReadOnlyList<double> values, bool higherIsBetter)
    {
        var finite = values.Select((v, i) => (Value: v, Index: i)).Where(p => double.IsFinite(p.Value)).ToList();
        if (finite.Count < 2 || finite.All(p => p.Value == finite[0].Value)) return new HashSet<int>();
        double best = higherIsBetter ? finite.Max(p => p.Value) : finite.Min(p => p.Value);
        return finite.Where(p => p.Value == best).Select(p => p.Index).ToHashSet();
    }
}
