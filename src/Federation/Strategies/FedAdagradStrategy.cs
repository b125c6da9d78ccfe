namespace FedLlm.Federation.Strategies;

/// <summary>FedAdagrad: v ← v + Δ². β1 defaults to 0 (m = Δ), as OFL and Flower.</summary>
public sealed class FedAdagradStrategy(StrategyOptions options) : FedOptStrategy(options, defaultBeta1: 0.0)
{
    /// <summary>Capabilities depend on <see cref="StrategyOptions.FedOptWeighting"/>; the default (unweighted mean) is declared here.</summary>
    public static readonly StrategyKind Kind = new("fedadagrad", "FedAdagrad: adaptive server optimiser (Reddi et al. 2021), v ← v + Δ²",
        new StrategyCapabilities { Mean = new MeanRule(DeltaWeighting.Unweighted) }, o => new FedAdagradStrategy(o));

    public override string Name => Kind.Name;

    protected override double UpdateSecondMoment(double previous, double deltaSquared) => previous + deltaSquared;
}
