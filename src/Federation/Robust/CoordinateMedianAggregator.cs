using FedLlm.Federation.Strategies;

namespace FedLlm.Federation.Robust;

/// <summary>
/// Coordinate-wise median (Yin, Chen, Ramchandran, Bartlett, ICML 2018, "Byzantine-Robust Distributed Learning:
/// Towards Optimal Statistical Rates"): each coordinate of the new global is the median of the K clients' values,
/// the mean of the two middle values when K is even (numpy.median, as Flower's FedMedian). Unweighted by sample count.
/// Any coordinate stays within the benign values' range while fewer than half the clients are malicious. The record
/// gives each client's share of coordinates whose median is its value (a middle value counts half when K is even):
/// the rule's choices, which show whether a suspect's values are the ones taken.
/// </summary>
public sealed class CoordinateMedianAggregator : RobustAggregator
{
    public override string Rule => RobustRules.Median;

    public override int MinimumUpdates => 1;

    protected override RobustAggregation AggregateCore(int round, float[] global, IReadOnlyList<ClientUpdate> updates)
    {
        int k = updates.Count;
        var result = new float[global.Length];
        long[][] chosenPerStripe = ColumnScan.Accumulators<long>(global.Length, k);
        ColumnScan.ForEach(RowsOf(updates), global.Length, (_, stripe, j, values, owners) =>
        {
            values.Sort(owners);
            result[j] = (float)OrderStatistics.MedianOfSorted(values);
            // Counted in halves: the middle value twice for odd K, each of the two middle values once for even K.
            long[] chosen = chosenPerStripe[stripe];
            chosen[owners[(k - 1) / 2]]++;
            chosen[owners[k / 2]]++;
        });
        long[] chosenCount = ColumnScan.Sum(chosenPerStripe, k);
        double[] share = [.. chosenCount.Select(c => global.Length == 0 ? 0.0 : c / (2.0 * global.Length))];
        var decision = new RobustDecision(Rule, IdsOf(updates))
        {
            PerClient = new Dictionary<string, IReadOnlyDictionary<int, double>> { ["median_share"] = ByClient(updates, share) },
        };
        return RobustAggregation.Estimate(updates, result, decision);
    }
}
