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

    public override string Name => StrategyNames.Central;

    public override bool IsCentral => true;

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
