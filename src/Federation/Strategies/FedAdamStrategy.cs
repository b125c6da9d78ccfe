namespace FedLlm.Federation.Strategies;

/// <summary>FedAdam: v ← β2·v + (1 − β2)·Δ².</summary>
public sealed class FedAdamStrategy(StrategyOptions options) : FedOptStrategy(options, defaultBeta1: 0.9)
{
    public override string Name => StrategyNames.FedAdam;

    protected override double UpdateSecondMoment(double previous, double deltaSquared) =>
        Beta2 * previous + (1.0 - Beta2) * deltaSquared;
}
