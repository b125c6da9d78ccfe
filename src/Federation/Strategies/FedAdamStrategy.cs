namespace FedLlm.Federation.Strategies;

/// <summary>FedAdam: v ← β2·v + (1 − β2)·Δ².</summary>
public sealed class FedAdamStrategy(StrategyOptions options) : FedOptStrategy(options, defaultBeta1: 0.9)
{
    /// <summary>Capabilities depend on <see cref="StrategyOptions.FedOptWeighting"/>; the default (unweighted mean) is declared here.</summary>
    public static readonly StrategyKind Kind = new("fedadam", "FedAdam: adaptive server optimiser (Reddi et al. 2021), v ← β2·v + (1 − β2)·Δ²",
        new StrategyCapabilities { Mean = new MeanRule(DeltaWeighting.Unweighted) }, o => new FedAdamStrategy(o));

    public override string Name => Kind.Name;

    protected override double UpdateSecondMoment(double previous, double deltaSquared) =>
        Beta2 * previous + (1.0 - Beta2) * deltaSquared;
}
