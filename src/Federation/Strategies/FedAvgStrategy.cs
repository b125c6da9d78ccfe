namespace FedLlm.Federation.Strategies;

/// <summary>FedAvg (McMahan et al. 2017): w ← Σ_S (n_i/n_S)·w_i, with n_i the client's full local dataset size.</summary>
public class FedAvgStrategy : ServerStrategy
{
    public FedAvgStrategy(StrategyOptions options)
        : base(options)
    {
    }

    public override string Name => StrategyNames.FedAvg;

    protected override float[] AggregateCore(int round, float[] global, IReadOnlyList<ClientUpdate> updates, int totalClients) =>
        AggregationMath.ToSingle(WeightedMean(updates, global.Length));

    /// <summary>The sample-count-weighted mean of the client vectors, in double.</summary>
    protected static double[] WeightedMean(IReadOnlyList<ClientUpdate> updates, int length)
    {
        if (updates.All(u => u.SampleCount == 0))
        {
            throw new ArgumentException("Every client reported 0 samples, so the sample-weighted average is undefined.", nameof(updates));
        }
        return AggregationMath.Mean(updates, length, weightedBySampleCount: true);
    }
}
