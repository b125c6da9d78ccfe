namespace FedLlm.Federation.Privacy;

/// <summary>Client-level DP-FedAvg settings for <see cref="DpFedAvgStrategy"/>.</summary>
public sealed record ClientDpOptions
{
    /// <summary>z: noise std on the update sum divided by the clipping norm. Record this in the accountant.</summary>
    public required double NoiseMultiplier { get; init; }

    /// <summary>S: the L2 bound on each client's update w_i − w (the initial C₀ under adaptive clipping).</summary>
    public double ClipNorm { get; init; } = 0.1;

    /// <summary>m: the expected clients per round; the (fixed) denominator of the mean.</summary>
    public required int ClientsPerRound { get; init; }

    /// <summary>N: the population each round is drawn from (a deployment's active members, revoked ones left out); q = m/N.</summary>
    public required int TotalClients { get; init; }

    /// <summary>γ of adaptive clipping (Andrew et al. 2021); null = fixed clipping at <see cref="ClipNorm"/>.</summary>
    public double? AdaptiveQuantile { get; init; }

    /// <summary>η_C, the geometric step of the adaptive clip norm.</summary>
    public double AdaptiveLearningRate { get; init; } = 0.2;

    /// <summary>σ_b, the noise on the unclipped count; null = m/20 (the paper's default).</summary>
    public double? AdaptiveCountNoise { get; init; }

    /// <summary>Clients clip and add their share of the noise themselves (trust the server less); fixed clipping only.</summary>
    public bool ClientSideNoise { get; init; }

    /// <summary>δ for the reported ε.</summary>
    public double Delta { get; init; } = 1e-5;

    /// <summary>Stop the run before a round that would push ε above this budget; null = never stop.</summary>
    public double? EpsilonBudget { get; init; }

    /// <summary>
    /// Seed the noise from the run seed instead of the OS CSPRNG, so runs repeat bit for bit. Anyone who knows the seed
    /// can regenerate and subtract it, so ε then protects nothing: tests only.
    /// </summary>
    public bool ReproducibleNoise { get; init; }

    public double SampleRate => Math.Min(1.0, (double)ClientsPerRound / TotalClients);
}
