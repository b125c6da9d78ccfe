namespace FedLlm.Federation.Strategies;

/// <summary>What every client sampled in a round receives besides the global weights.</summary>
public sealed record RoundPlan
{
    private static readonly IReadOnlyDictionary<string, float[]> NoVectors = new Dictionary<string, float[]>();

    public RoundPlan(int round, double learningRate)
    {
        Round = round;
        LearningRate = learningRate;
    }

    /// <summary>0-based round index.</summary>
    public int Round { get; init; }

    /// <summary>The client learning rate for this round (constant within the round), from the round schedule.</summary>
    public double LearningRate { get; init; }

    /// <summary>FedProx μ; 0 means no proximal term.</summary>
    public double ProximalMu { get; init; }

    /// <summary>Named vectors for the client algorithm, keyed by <see cref="ExchangeKeys"/>.</summary>
    public IReadOnlyDictionary<string, float[]> Vectors { get; init; } = NoVectors;

    /// <summary>Client-side DP-FedAvg noise: clip the update and add noise before sending it; null otherwise.</summary>
    public ClientNoisePlan? ClientNoise { get; init; }

    /// <summary>SCAFFOLD's server control variate c when the strategy is SCAFFOLD, otherwise null.</summary>
    public float[]? ScaffoldControl => Vectors.TryGetValue(ExchangeKeys.ScaffoldServerControl, out float[]? c) ? c : null;
}

/// <summary>
/// The client-side variant of DP-FedAvg: each client clips its update (w_i − w) to <paramref name="ClipNorm"/> and adds
/// N(0, (z·S/√m)²) per coordinate, so the mean of m updates carries noise of std z·S/m.
/// </summary>
public sealed record ClientNoisePlan(double ClipNorm, double NoiseMultiplier, int ClientsPerRound);
