namespace FedLlm.Federation.Strategies;

/// <summary>
/// Adaptive server optimisers of Reddi et al. 2021 ("Adaptive Federated Optimization", Algorithm 2), without bias correction:
/// Δ = mean of (w_i − w) (unweighted by default, as the paper); m ← β1·m + (1 − β1)·Δ with m₀ = 0; v from Δ² with v₀ = τ²;
/// w ← w + η·m/(√v + τ). OFL's code updates v from m² instead of Δ² (and starts m at Δ); FedLlm follows the paper.
/// State m and v is kept in double so τ² (1e-6) does not swallow tiny Δ² contributions.
/// </summary>
public abstract class FedOptStrategy : ServerStrategy
{
    private double[]? _firstMoment;
    private double[]? _secondMoment;

    protected FedOptStrategy(StrategyOptions options, double defaultBeta1)
        : base(options)
    {
        Beta1 = options.Beta1 ?? defaultBeta1;
        Beta2 = options.Beta2;
        Tau = options.Tau;
        ServerLearningRate = options.ServerLearningRate ?? 1e-3;
        Weighting = options.FedOptWeighting;
        Capabilities = new StrategyCapabilities { Mean = new MeanRule(Weighting) };
    }

    public override StrategyCapabilities Capabilities { get; }

    public double Beta1 { get; }
    public double Beta2 { get; }
    public double Tau { get; }
    public double ServerLearningRate { get; }
    public DeltaWeighting Weighting { get; }

    /// <summary>m; null before the first aggregation.</summary>
    public ReadOnlySpan<double> FirstMoment => _firstMoment;

    /// <summary>v; null before the first aggregation (then τ²).</summary>
    public ReadOnlySpan<double> SecondMoment => _secondMoment;

    /// <summary>v_t from v_{t−1} and Δ_t² for one coordinate.</summary>
    protected abstract double UpdateSecondMoment(double previous, double deltaSquared);

    public override float[] Step(int round, ReadOnlySpan<float> global, ReadOnlySpan<double> delta)
    {
        RequireLength(_firstMoment, global.Length, "fedopt.m");
        RequireLength(_secondMoment, global.Length, "fedopt.v");
        _firstMoment ??= new double[global.Length];
        if (_secondMoment is null)
        {
            _secondMoment = new double[global.Length];
            Array.Fill(_secondMoment, Tau * Tau);
        }
        double[] m = _firstMoment;
        double[] v = _secondMoment;
        var next = new float[global.Length];
        for (int j = 0; j < next.Length; j++)
        {
            double d = delta[j];
            m[j] = Beta1 * m[j] + (1.0 - Beta1) * d;
            v[j] = UpdateSecondMoment(v[j], d * d);
            next[j] = (float)(global[j] + ServerLearningRate * m[j] / (Math.Sqrt(v[j]) + Tau));
        }
        return next;
    }

    protected override void WriteState(BinaryWriter writer)
    {
        StateSerialization.WriteVector(writer, _firstMoment);
        StateSerialization.WriteVector(writer, _secondMoment);
    }

    protected override void ReadState(BinaryReader reader)
    {
        _firstMoment = StateSerialization.ReadDoubleVector(reader, "fedopt.m");
        _secondMoment = StateSerialization.ReadDoubleVector(reader, "fedopt.v");
    }
}
