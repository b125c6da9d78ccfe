using FedLlm.Federation.Privacy;
using FedLlm.Federation.Strategies;

namespace FedLlm.Federation.Robust;

/// <summary>
/// Any strategy behind a robust rule: the rule filters, clips or re-estimates the round's validated updates and the
/// wrapped strategy aggregates what it returns, so FedAvg, FedAvgM or a FedOpt server optimiser runs unchanged after
/// it. Sampling and round plans are the wrapped strategy's. The rule's cross-round state (FoolsGold's histories) is
/// saved inside the strategy state, so checkpoints resume it. A round with fewer updates than the rule needs keeps
/// the global unchanged and says so in <see cref="LastDecision"/>, rather than aggregating without the guarantee.
/// </summary>
public sealed class RobustServerStrategy : ServerStrategy
{
    private readonly ServerStrategy _inner;

    public RobustServerStrategy(ServerStrategy inner, RobustAggregator robust)
        : base((inner ?? throw new ArgumentNullException(nameof(inner))).Options)
    {
        ArgumentNullException.ThrowIfNull(robust);
        if (!inner.Capabilities.ExchangesUpdates)
            throw new ArgumentException($"robust aggregation cannot wrap '{inner.Name}': that baseline aggregates nothing");
        if (inner is DpFedAvgStrategy)
            throw new ArgumentException($"robust aggregation cannot wrap '{inner.Name}': {RobustSection.ClientDpConflict}");
        if (inner.RequiredUpdateExtras.Count > 0 && RobustRules.Synthetic.Contains(robust.Rule))
            throw new ArgumentException($"robust rule '{robust.Rule}' replaces the updates by one estimate without the extras '{inner.Name}' needs ({string.Join(", ", inner.RequiredUpdateExtras)})");
        _inner = inner;
        Robust = robust;
        // A rule reads every update on its own, so the round can no longer be one encrypted weighted sum.
        Capabilities = inner.Capabilities with { Mean = null };
    }

    public override StrategyCapabilities Capabilities { get; }

    public override string Name => _inner.Name + "+" + Robust.Rule;

    public ServerStrategy Inner => _inner;

    public RobustAggregator Robust { get; }

    /// <summary>The rule's record of the last aggregated round (for metrics.jsonl); null before the first.</summary>
    public RobustDecision? LastDecision { get; private set; }

    public override IReadOnlyList<int> SampleClients(int round, IReadOnlyList<int> availableClientIds, ulong runSeed) =>
        _inner.SampleClients(round, availableClientIds, runSeed);

    public override RoundPlan PlanRound(int round, float[] global) => _inner.PlanRound(round, global);

    /// <summary>The rule's choices (clients kept, weights given, norms clipped) as the round's <c>"robust"</c> metrics.</summary>
    public override void DescribeRound(System.Text.Json.Nodes.JsonObject record)
    {
        if (LastDecision is { } decision) record["robust"] = decision.ToJson();
    }

    protected override float[] AggregateCore(int round, float[] global, IReadOnlyList<ClientUpdate> updates, int totalClients)
    {
        if (updates.Count < Robust.MinimumUpdates)
        {
            LastDecision = new RobustDecision(Robust.Rule, [.. updates.Select(u => u.ClientId)])
            {
                Note = $"{updates.Count} updates, but {Robust.Rule} needs {Robust.MinimumUpdates}; the global is unchanged",
            };
            return (float[])global.Clone();
        }
        RobustAggregation robust = Robust.Aggregate(round, global, updates);
        LastDecision = robust.Decision;
        return _inner.Aggregate(round, global, robust.Updates, totalClients);
    }

    protected override void WriteState(BinaryWriter writer)
    {
        Robust.WriteState(writer);
        _inner.WriteWrappedState(writer);
    }

    protected override void ReadState(BinaryReader reader)
    {
        Robust.ReadState(reader);
        _inner.ReadWrappedState(reader);
    }
}
