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
        AggregationMath.ToSingle(AggregationMath.Mean(updates, global.Length, weightedBySampleCount: true));
}
