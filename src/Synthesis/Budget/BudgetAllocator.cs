namespace FedLlm.Synthesis.Budget;

/// <summary>
/// How many examples to generate per client or per class (FedGC's budget-allocation axis, Ye et al. arXiv 2312.05807;
/// its three candidates as the research notes recall them: equal, inverse to class counts, water-filling). Every
/// policy returns non-negative integers summing exactly to the total: real-valued shares are rounded by the largest
/// remainder method (Hamilton), remainders tied (to 1e-9) going to the lower index, so the split is deterministic.
/// </summary>
public static class BudgetAllocator
{
    /// <summary>The same share for each of <paramref name="parts"/> (FedGC's finding: an equal amount per client works well).</summary>
    public static int[] Equal(int total, int parts)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(parts);
        return Proportional(total, [.. Enumerable.Repeat(1.0, parts)]);
    }

    /// <summary>
    /// Shares proportional to 1/n_c, so rare classes get more. A class with no examples counts as one (its weight would
    /// be infinite otherwise), which gives it the largest share.
    /// </summary>
    public static int[] InverseFrequency(int total, IReadOnlyList<int> counts)
    {
        RequireCounts(counts);
        return Proportional(total, [.. counts.Select(n => 1.0 / Math.Max(n, 1))]);
    }

    /// <summary>
    /// Water-filling: raise the smallest classes to a common level L with Σ max(0, L − n_c) = total, so the budget
    /// balances the classes as far as it goes; classes already above L get nothing.
    /// </summary>
    public static int[] FillToBalance(int total, IReadOnlyList<int> counts)
    {
        RequireCounts(counts);
        ArgumentOutOfRangeException.ThrowIfNegative(total);
        int[] order = [.. Enumerable.Range(0, counts.Count).OrderBy(i => counts[i]).ThenBy(i => i)];
        // Find how many of the smallest classes are raised: the first k whose level stays at or below the next count.
        double level = 0;
        double raisedSum = 0;
        for (int k = 1; k <= order.Length; k++)
        {
            raisedSum += counts[order[k - 1]];
            level = (total + raisedSum) / k;
            if (k == order.Length || level <= counts[order[k]]) break;
        }
        return Round(total, [.. counts.Select(n => Math.Max(0, level - n))]);
    }

    /// <summary>Shares proportional to non-negative <paramref name="weights"/> (not all zero).</summary>
    public static int[] Proportional(int total, IReadOnlyList<double> weights)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(total);
        ArgumentNullException.ThrowIfNull(weights);
        if (weights.Count == 0) throw new ArgumentException("at least one share is needed", nameof(weights));
        if (weights.Any(w => !(w >= 0) || double.IsInfinity(w))) throw new ArgumentException("weights must be finite and >= 0", nameof(weights));
        double sum = weights.Sum();
        if (!(sum > 0)) throw new ArgumentException("weights must not all be 0", nameof(weights));
        return Round(total, [.. weights.Select(w => total * w / sum)]);
    }

    /// <summary>
    /// Largest remainder: floor every quota, then give one more to the largest fractional parts until the total is met.
    /// Quotas must sum to <paramref name="total"/> up to rounding; the result sums to it exactly.
    /// </summary>
    private static int[] Round(int total, double[] quotas)
    {
        int[] shares = [.. quotas.Select(q => (int)Math.Floor(q))];
        int missing = total - shares.Sum();
        // Floating error can push a floor one below or the sum one over: trim from the smallest remainders if so.
        // Remainders equal up to float noise (e.g. thirds computed from different quotas) count as ties: lower index first.
        int[] byRemainder = [.. Enumerable.Range(0, quotas.Length).OrderByDescending(i => Math.Round(quotas[i] - shares[i], 9)).ThenBy(i => i)];
        for (int r = 0; missing > 0; r = (r + 1) % byRemainder.Length, missing--) shares[byRemainder[r]]++;
        for (int r = byRemainder.Length - 1; missing < 0; r = (r - 1 + byRemainder.Length) % byRemainder.Length)
        {
            if (shares[byRemainder[r]] == 0) continue;
            shares[byRemainder[r]]--;
            missing++;
        }
        return shares;
    }

    private static void RequireCounts(IReadOnlyList<int> counts)
    {
        ArgumentNullException.ThrowIfNull(counts);
        if (counts.Count == 0) throw new ArgumentException("at least one class is needed", nameof(counts));
        if (counts.Any(n => n < 0)) throw new ArgumentException("class counts must be >= 0", nameof(counts));
    }
}
