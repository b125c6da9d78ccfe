namespace FedLlm.Federation.Strategies;

/// <summary>
/// FedProx (Li et al. 2020): the server is FedAvg; clients add (μ/2)·‖w − w_g‖² to their loss
/// (see <see cref="Client.Algorithms.ProximalTerm"/>). μ comes from <see cref="StrategyOptions.ProximalMu"/> and travels in the plan.
/// </summary>
public sealed class FedProxStrategy : FedAvgStrategy
{
    public FedProxStrategy(StrategyOptions options)
        : base(options)
    {
    }

    public static new readonly StrategyKind Kind = new("fedprox", "FedProx: FedAvg's server; clients add (μ/2)·‖w − w_g‖² to their loss",
        StrategyCapabilities.WeightedMean, o => new FedProxStrategy(o));

    public override string Name => Kind.Name;

    public override StrategyCapabilities Capabilities => Kind.Capabilities;

    public override RoundPlan PlanRound(int round, float[] global) =>
        base.PlanRound(round, global) with { ProximalMu = Options.ProximalMu };
}
