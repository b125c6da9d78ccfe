namespace FedLlm.Federation.Strategies;

/// <summary>FedAdagrad: v ← v + Δ². β1 defaults to 0 (m = Δ), as OFL and Flower.</summary>
public sealed class FedAdagradStrategy(StrategyOptions options) : FedOptStrategy(options, defaultBeta1: 0.0)
{
    public override string Name => StrategyNames.FedAdagrad;

    protected override double UpdateSecondMoment(double previous, double deltaSquared) => previous + deltaSquared;
}
