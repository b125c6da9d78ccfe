namespace FedLlm.Federation.Strategies;

/// <summary>
/// FedAvg with server momentum. Δ = Σ (n_i/n_S)(w_i − w) is the sample-weighted pseudo-gradient.
/// <list type="bullet">
/// <item><see cref="FedAvgMForm.HeavyBall"/> (default; Hsu et al. 2019, Flower): v ← β·v + Δ (v₀ = 0), w ← w + η·v,
/// η defaulting to 1 − β so the effective step η/(1 − β) equals FedAvg's.</item>
/// <item><see cref="FedAvgMForm.Ema"/> (OFL): m ← β·m + (1 − β)·Δ with m = Δ in the first aggregated round, w ← w + η·m, η = 1.</item>
/// </list>
/// With η = 1 − β the two produce identical steps from the second round on (v = m/(1 − β)); they differ only in round one.
/// </summary>
public sealed class FedAvgMStrategy : ServerStrategy
{
    private double[]? _momentum;

    public FedAvgMStrategy(StrategyOptions options)
        : base(options)
    {
        Beta = options.Beta1 ?? 0.9;
        Form = options.MomentumForm;
        ServerLearningRate = options.ServerLearningRate ?? (Form == FedAvgMForm.HeavyBall ? 1.0 - Beta : 1.0);
    }

    public static readonly StrategyKind Kind = new("fedavgm", "FedAvgM: FedAvg with server momentum",
        StrategyCapabilities.WeightedMean, o => new FedAvgMStrategy(o));

    public override string Name => Kind.Name;

    public override StrategyCapabilities Capabilities => Kind.Capabilities;

    public double Beta { get; }
    public double ServerLearningRate { get; }
    public FedAvgMForm Form { get; }

    /// <summary>The momentum buffer (v for heavy-ball, m for EMA); null before the first aggregation.</summary>
    public ReadOnlySpan<double> Momentum => _momentum;

    public override float[] Step(int round, ReadOnlySpan<float> global, ReadOnlySpan<double> delta)
    {
        RequireLength(_momentum, global.Length, "fedavgm.momentum");
        bool first = _momentum is null;
        _momentum ??= new double[global.Length];
        double[] m = _momentum;
        var next = new float[global.Length];
        for (int j = 0; j < next.Length; j++)
        {
            m[j] = Form switch
            {
                FedAvgMForm.Ema when first => delta[j],
                FedAvgMForm.Ema => Beta * m[j] + (1.0 - Beta) * delta[j],
                _ => Beta * m[j] + delta[j],
            };
            next[j] = (float)(global[j] + ServerLearningRate * m[j]);
        }
        return next;
    }

    protected override void WriteState(BinaryWriter writer) => StateSerialization.WriteVector(writer, _momentum);

    protected override void ReadState(BinaryReader reader) =>
        _momentum = StateSerialization.ReadDoubleVector(reader, "fedavgm.momentum");
}
