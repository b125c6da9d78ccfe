namespace FedLlm.Federation.Strategies;

/// <summary>FedYogi: v ← v − (1 − β2)·Δ²·sign(v − Δ²).</summary>
public sealed class FedYogiStrategy(StrategyOptions options) : FedOptStrategy(options, defaultBeta1: 0.9)
{
    public override string Name => StrategyNames.FedYogi;

    protected override double UpdateSecondMoment(double previous, double deltaSquared) =>
        previous - (1.0 - Beta2) * deltaSquared * Math.Sign(previous - deltaSquared);
}
