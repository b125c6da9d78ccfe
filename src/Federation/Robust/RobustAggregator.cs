using FedLlm.Federation.Strategies;

namespace FedLlm.Federation.Robust;

/// <summary>
/// A robust aggregation rule: a server step between the validated updates of a round and any strategy's
/// <see cref="ServerStrategy.Aggregate"/>, which then receives <see cref="RobustAggregation.Updates"/> instead of the raw
/// updates. Updates are absolute LoRA vectors w_i; a rule defined on deltas uses Δ_i = w_i − w with w the round's
/// global. Rules that are translation-equivariant (median, trimmed mean, Krum, Bulyan, DnC, residual) give the same
/// result on w_i as on Δ_i and work on w_i directly, which saves a K×P subtraction and keeps values exact.
/// Not thread-safe; one engine owns it, like a strategy.
/// </summary>
public abstract class RobustAggregator
{
    /// <summary>Canonical rule name, one of <see cref="RobustRules.All"/>.</summary>
    public abstract string Rule { get; }

    /// <summary>The fewest updates the rule is defined for (e.g. 2f + 3 for Krum); with fewer, <see cref="Aggregate"/> throws.</summary>
    public abstract int MinimumUpdates { get; }

    /// <summary>Applies the rule. Does not modify <paramref name="global"/> or the updates; updates must be finite (validated).</summary>
    public RobustAggregation Aggregate(int round, float[] global, IReadOnlyList<ClientUpdate> updates)
    {
        ArgumentNullException.ThrowIfNull(global);
        ArgumentNullException.ThrowIfNull(updates);
        ArgumentOutOfRangeException.ThrowIfNegative(round);
        if (updates.Count < MinimumUpdates)
            throw new ArgumentException($"{Rule} needs at least {MinimumUpdates} updates per round, got {updates.Count}", nameof(updates));
        var seen = new HashSet<int>();
        foreach (ClientUpdate update in updates)
        {
            ArgumentNullException.ThrowIfNull(update, nameof(updates));
            if (!seen.Add(update.ClientId))
                throw new ArgumentException($"Client {update.ClientId} sent more than one update this round.", nameof(updates));
            if (update.Weights.Length != global.Length)
                throw new ArgumentException($"Client {update.ClientId} sent {update.Weights.Length} parameters; the global vector has {global.Length}.", nameof(updates));
        }
        return AggregateCore(round, global, updates);
    }

    protected abstract RobustAggregation AggregateCore(int round, float[] global, IReadOnlyList<ClientUpdate> updates);

    /// <summary>Writes the rule's name and cross-round state (FoolsGold's histories) so a resumed run continues bit-identically.</summary>
    public void WriteState(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(Rule);
        WriteCore(writer);
    }

    public void ReadState(BinaryReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        string rule = reader.ReadString();
        if (rule != Rule) throw new InvalidDataException($"robust state was saved by rule '{rule}' and cannot be loaded into '{Rule}'");
        ReadCore(reader);
    }

    /// <summary>Cross-round state; stateless rules write nothing.</summary>
    protected virtual void WriteCore(BinaryWriter writer)
    {
    }

    protected virtual void ReadCore(BinaryReader reader)
    {
    }

    /// <summary>The client ids in update order, for <see cref="RobustDecision.Clients"/>.</summary>
    protected static int[] IdsOf(IReadOnlyList<ClientUpdate> updates) => [.. updates.Select(u => u.ClientId)];

    /// <summary>The weight vectors in update order.</summary>
    protected static float[][] RowsOf(IReadOnlyList<ClientUpdate> updates) => [.. updates.Select(u => u.Weights)];

    /// <summary>One figure per client, keyed by client id.</summary>
    protected static Dictionary<int, double> ByClient(IReadOnlyList<ClientUpdate> updates, ReadOnlySpan<double> figures)
    {
        var result = new Dictionary<int, double>(updates.Count);
        for (int i = 0; i < updates.Count; i++) result[updates[i].ClientId] = figures[i];
        return result;
    }
}
