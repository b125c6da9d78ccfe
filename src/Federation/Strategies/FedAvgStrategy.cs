namespace FedLlm.Federation.Strategies;

/// <summary>FedAvg (McMahan et al. 2017): w ← Σ_S (n_i/n_S)·w_i, with n_i the client's full local dataset size.</summary>
public class FedAvgStrategy : ServerStrategy
{
    public FedAvgStrategy(StrategyOptions options)
        : base(options)
    {
    }

    public static readonly StrategyKind Kind = new("fedavg", "FedAvg: the sample-weighted mean of the client models",
        StrategyCapabilities.WeightedMean, o => new FedAvgStrategy(o));

    public override string Name => Kind.Name;

    public override StrategyCapabilities Capabilities => Kind.Capabilities;

    /// <summary>Σ (n_i/n_S)·w_i directly (not w + Δ), so averaging identical models returns them bit for bit.</summary>
    protected override float[] AggregateCore(int round, float[] global, IReadOnlyList<ClientUpdate> updates, int totalClients) =>
        AggregationMath.MeanAsSingle(updates, global.Length, weightedBySampleCount: true);

    /// <summary>w + Δ: what a member applies after decrypting an encrypted round's mean delta.</summary>
    public override float[] Step(int round, ReadOnlySpan<float> global, ReadOnlySpan<double> meanDelta)
    {
        var next = new float[global.Length];
        for (int j = 0; j < next.Length; j++) next[j] = (float)(global[j] + meanDelta[j]);
        return next;
    }
}
