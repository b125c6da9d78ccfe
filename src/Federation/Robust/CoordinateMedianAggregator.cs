using FedLlm.Federation.Strategies;

namespace FedLlm.Federation.Robust;

/// <summary>
/// Coordinate-wise median (Yin, Chen, Ramchandran, Bartlett, ICML 2018, "Byzantine-Robust Distributed Learning:
/// Towards Optimal Statistical Rates"): each coordinate of the new global is the median of the K clients' values,
/// the mean of the two middle values when K is even (numpy.median, as Flower's FedMedian). Unweighted by sample count.
/// Any coordinate stays within the benign values' range while fewer than half the clients are malicious.
/// </summary>
public sealed class CoordinateMedianAggregator : RobustAggregator
{
    public override string Rule => RobustRules.Median;

    public override int MinimumUpdates => 1;

    protected override RobustAggregation AggregateCore(int round, float[] global, IReadOnlyList<ClientUpdate> updates)
    {
        var result = new float[global.Length];
        ColumnScan.ForEach(RowsOf(updates), global.Length, (_, _, j, values, _) =>
        {
            values.Sort();
            result[j] = (float)OrderStatistics.MedianOfSorted(values);
        });
        return RobustAggregation.Estimate(updates, result, new RobustDecision(Rule, IdsOf(updates)));
    }
}
