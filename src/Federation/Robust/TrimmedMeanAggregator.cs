using FedLlm.Federation.Strategies;

namespace FedLlm.Federation.Robust;

/// <summary>
/// Coordinate-wise trimmed mean (Yin et al., ICML 2018): per coordinate, drop the ⌊β·K⌋ largest and ⌊β·K⌋ smallest
/// of the K values and average the rest (scipy's trim_mean cut, as Flower's FedTrimmedAvg). Unweighted. The record
/// gives each client's share of coordinates in which it was trimmed, which shows whether a suspect is being cut.
/// </summary>
public sealed class TrimmedMeanAggregator : RobustAggregator
{
    public TrimmedMeanAggregator(double beta)
    {
        if (!(beta >= 0 && beta < 0.5)) throw new ArgumentOutOfRangeException(nameof(beta), beta, "β must be in [0, 0.5).");
        Beta = beta;
    }

    /// <summary>β: the fraction trimmed from each end.</summary>
    public double Beta { get; }

    public override string Rule => RobustRules.TrimmedMean;

    public override int MinimumUpdates => 1;

    /// <summary>Values cut from each end of a column of <paramref name="count"/> values.</summary>
    public static int TrimmedPerSide(double beta, int count) => (int)Math.Floor(beta * count);

    protected override RobustAggregation AggregateCore(int round, float[] global, IReadOnlyList<ClientUpdate> updates)
    {
        int k = updates.Count;
        int cut = TrimmedPerSide(Beta, k);
        var result = new float[global.Length];
        long[][] trimmedPerStripe = ColumnScan.Accumulators<long>(global.Length, k);
        ColumnScan.ForEach(RowsOf(updates), global.Length, (_, stripe, j, values, owners) =>
        {
            values.Sort(owners);
            double sum = 0;
            for (int i = cut; i < k - cut; i++) sum += values[i];
            result[j] = (float)(sum / (k - 2 * cut));
            long[] trimmed = trimmedPerStripe[stripe];
            for (int i = 0; i < cut; i++)
            {
                trimmed[owners[i]]++;
                trimmed[owners[k - 1 - i]]++;
            }
        });
        long[] trimmedCount = ColumnScan.Sum(trimmedPerStripe, k);
        double[] share = [.. trimmedCount.Select(c => global.Length == 0 ? 0.0 : (double)c / global.Length)];
        var decision = new RobustDecision(Rule, IdsOf(updates))
        {
            PerClient = new Dictionary<string, IReadOnlyDictionary<int, double>> { ["trimmed_share"] = ByClient(updates, share) },
            Values = new Dictionary<string, double> { ["trimmed_per_side"] = cut },
        };
        return RobustAggregation.Estimate(updates, result, decision);
    }
}
