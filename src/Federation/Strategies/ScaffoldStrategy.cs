namespace FedLlm.Federation.Strategies;

/// <summary>
/// SCAFFOLD (Karimireddy et al. 2020) as OFL runs it: w ← FedAvg (sample-weighted, global step size 1);
/// c ← c + Σ_S Δc_i / N, with N all clients of the federation (not |S|). c starts at 0 and is sent in every plan.
/// Clients use <see cref="ScaffoldClient"/>.
/// </summary>
public sealed class ScaffoldStrategy : FedAvgStrategy
{
    private float[]? _serverControl;

    public ScaffoldStrategy(StrategyOptions options)
        : base(options)
    {
    }

    public static new readonly StrategyKind Kind = new("scaffold", "SCAFFOLD: FedAvg plus server and client control variates that correct client drift",
        new StrategyCapabilities { UpdateExtras = [ExchangeKeys.ScaffoldDeltaControl] }, o => new ScaffoldStrategy(o));

    public override string Name => Kind.Name;

    public override StrategyCapabilities Capabilities => Kind.Capabilities;

    /// <summary>The current server control variate c (null until the first plan or aggregation fixes its length).</summary>
    public ReadOnlySpan<float> ServerControl => _serverControl;

    public override RoundPlan PlanRound(int round, float[] global)
    {
        RoundPlan plan = base.PlanRound(round, global);
        float[] control = EnsureControl(global.Length);
        return plan with
        {
            Vectors = new Dictionary<string, float[]> { [ExchangeKeys.ScaffoldServerControl] = (float[])control.Clone() },
        };
    }

    protected override float[] AggregateCore(int round, float[] global, IReadOnlyList<ClientUpdate> updates, int totalClients)
    {
        float[] control = EnsureControl(global.Length);
        float[] next = AggregationMath.MeanAsSingle(updates, global.Length, weightedBySampleCount: true);
        double[] meanDeltaC = AggregationMath.WeightedMean([.. updates.Select(u => u.Extras[ExchangeKeys.ScaffoldDeltaControl])],
            [.. updates.Select(_ => 1.0)], global.Length, denominator: totalClients);
        for (int j = 0; j < control.Length; j++)
        {
            control[j] = (float)(control[j] + meanDeltaC[j]);
        }
        return next;
    }

    protected override void WriteState(BinaryWriter writer) => StateSerialization.WriteVector(writer, _serverControl);

    protected override void ReadState(BinaryReader reader) =>
        _serverControl = StateSerialization.ReadSingleVector(reader, "scaffold.c");

    private float[] EnsureControl(int length)
    {
        _serverControl ??= new float[length];
        RequireLength(_serverControl, length, "scaffold.c");
        return _serverControl;
    }
}
