using FedLlm.Federation.Strategies;

namespace FedLlm.Federation.Robust;

/// <summary>
/// Bulyan (El Mhamdi, Guerraoui, Rouault, ICML 2018, "The Hidden Vulnerability of Distributed Learning in Byzantium"):
/// Krum is applied repeatedly, each time moving its choice from the remaining updates to a selection set, until
/// θ = n − 2f are selected; then each coordinate is the mean of the β = θ − 2f selected values closest to that
/// coordinate's median. Needs n ≥ 4f + 3. Unweighted.
/// </summary>
public sealed class BulyanAggregator : RobustAggregator
{
    public BulyanAggregator(int f)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(f);
        F = f;
    }

    public int F { get; }

    public override string Rule => RobustRules.Bulyan;

    public override int MinimumUpdates => 4 * F + 3;

    protected override RobustAggregation AggregateCore(int round, float[] global, IReadOnlyList<ClientUpdate> updates)
    {
        int n = updates.Count;
        int theta = n - 2 * F;
        int beta = theta - 2 * F;
        int[] selected = SelectByKrum(KrumAggregator.SquaredDistances(RowsOf(updates)), n, theta, F);
        float[][] rows = [.. selected.Select(i => updates[i].Weights)];
        var result = new float[global.Length];
        ColumnScan.ForEach(rows, global.Length, (_, _, j, values, _) =>
        {
            values.Sort();
            result[j] = (float)MeanNearestMedian(values, beta);
        });
        var decision = new RobustDecision(Rule, IdsOf(updates))
        {
            Kept = [.. selected.Order().Select(i => updates[i].ClientId)],
            Values = new Dictionary<string, double> { ["theta"] = theta, ["beta"] = beta },
        };
        return RobustAggregation.Estimate(updates, result, decision);
    }

    /// <summary>Indices of the θ updates chosen by repeated Krum, in the order chosen.</summary>
    internal static int[] SelectByKrum(double[,] distances, int n, int theta, int f)
    {
        var remaining = Enumerable.Range(0, n).ToList();
        var selected = new List<int>(theta);
        while (selected.Count < theta)
        {
            double[] scores = KrumAggregator.Scores(distances, remaining, f);
            int best = OrderStatistics.LowestIndices(scores, 1)[0];
            selected.Add(remaining[best]);
            remaining.RemoveAt(best);
        }
        return [.. selected];
    }

    /// <summary>
    /// The mean of the <paramref name="count"/> sorted values nearest the median. They form a contiguous run of the
    /// sorted values, grown outward from the middle; on a tie the lower value joins first.
    /// </summary>
    internal static double MeanNearestMedian(ReadOnlySpan<float> sorted, int count)
    {
        double median = OrderStatistics.MedianOfSorted(sorted);
        int low = (sorted.Length - 1) / 2; // window is [low, high)
        int high = low;
        while (high - low < count)
        {
            bool canLower = low > 0;
            bool canRaise = high < sorted.Length;
            if (canLower && (!canRaise || Math.Abs(median - sorted[low - 1]) <= Math.Abs(sorted[high] - median))) low--;
            else high++;
        }
        double sum = 0;
        for (int i = low; i < high; i++) sum += sorted[i];
        return sum / count;
    }
}
