namespace FedLlm.Federation.Strategies;

/// <summary>
/// The local-training baseline: no exchange. <see cref="ServerStrategy.IsLocalOnly"/> tells the engine to keep one
/// vector per client (initially the global), train each sampled client from its own vector and store the result back
/// (on disk for large federations). Aggregation returns the global unchanged. With <see cref="StrategyOptions.LocalClientId"/>
/// only that client is ever sampled (OFL's <c>localK</c>).
/// </summary>
public sealed class LocalOnlyStrategy : ServerStrategy
{
    public LocalOnlyStrategy(StrategyOptions options)
        : base(options)
    {
    }

    public static readonly StrategyKind Kind = new("local", "Local-only baseline: every client trains alone (simulation only)",
        new StrategyCapabilities { Baseline = BaselineKind.LocalOnly }, o => new LocalOnlyStrategy(o));

    public override string Name => Kind.Name;

    public override StrategyCapabilities Capabilities => Kind.Capabilities;

    public override IReadOnlyList<int> SampleClients(int round, IReadOnlyList<int> availableClientIds, ulong runSeed)
    {
        ArgumentNullException.ThrowIfNull(availableClientIds);
        if (Options.LocalClientId is int only)
        {
            return availableClientIds.Contains(only) ? [only] : [];
        }
        return base.SampleClients(round, availableClientIds, runSeed);
    }

    protected override float[] AggregateCore(int round, float[] global, IReadOnlyList<ClientUpdate> updates, int totalClients) =>
        (float[])global.Clone();
}
