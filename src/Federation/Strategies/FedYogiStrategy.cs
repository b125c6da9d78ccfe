namespace FedLlm.Federation.Strategies;

/// <summary>FedYogi: v ← v − (1 − β2)·Δ²·sign(v − Δ²).</summary>
public sealed class FedYogiStrategy(StrategyOptions options) : FedOptStrategy(options, defaultBeta1: 0.9)
{
    /// <summary>Capabilities depend on <see cref="StrategyOptions.FedOptWeighting"/>; the default (unweighted mean) is declared here.</summary>
    public static readonly StrategyKind Kind = new("fedyogi", "FedYogi: adaptive server optimiser (Reddi et al. 2021), v ← v − (1 − β2)·Δ²·sign(v − Δ²)",
        new StrategyCapabilities { Mean = new MeanRule(DeltaWeighting.Unweighted) }, o => new FedYogiStrategy(o));

    public override string Name => Kind.Name;

    protected override double UpdateSecondMoment(double previous, double deltaSquared) =>
        previous - (1.0 - Beta2) * deltaSquared * Math.Sign(previous - deltaSquared);
}
