namespace FedLlm.Federation.Strategies;

/// <summary>
/// The pooled-data (centralised) baseline: one virtual client, id <see cref="VirtualClientId"/>, trains on the union of
/// all clients' data every round. The new global is that client's vector.
/// </summary>
public sealed class CentralStrategy : ServerStrategy
{
    public const int VirtualClientId = 0;

    public CentralStrategy(StrategyOptions options)
        : base(options)
    {
    }

    public static readonly StrategyKind Kind = new("central", "Central baseline: one model trained on everyone's pooled data (simulation only)",
        new StrategyCapabilities { Baseline = BaselineKind.Central }, o => new CentralStrategy(o));

    public override string Name => Kind.Name;

    public override StrategyCapabilities Capabilities => Kind.Capabilities;

    public override IReadOnlyList<int> SampleClients(int round, IReadOnlyList<int> availableClientIds, ulong runSeed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(round);
        return [VirtualClientId];
    }

    protected override float[] AggregateCore(int round, float[] global, IReadOnlyList<ClientUpdate> updates, int totalClients)
    {
        if (updates.Count != 1 || updates[0].ClientId != VirtualClientId)
        {
            throw new ArgumentException(
                $"The central baseline expects exactly one update from virtual client {VirtualClientId}; got {updates.Count} (ids {string.Join(", ", updates.Select(u => u.ClientId))}).",
                nameof(updates));
        }
        return (float[])updates[0].Weights.Clone();
    }
}
