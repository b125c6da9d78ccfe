using FedLlm.Federation.Privacy;
using FedLlm.Federation.Strategies;
using FedLlm.Privacy.Accounting;
using FedLlm.Training.Privacy;

namespace FedLlm.Federation.Simulation;

/// <summary>
/// The <c>privacy:</c> section of a simulation config. <c>mode</c>: <c>none</c>, <c>dp_sgd</c> (sample-level: every
/// client runs DP-SGD and accounts for its own data) or <c>client_dp</c> (client-level DP-FedAvg on the server).
/// Give <c>noise_multiplier</c> (ε is reported) or <c>target_epsilon</c> (σ is calibrated for the whole run), or both
/// (σ fixed, <c>target_epsilon</c> is the budget for <c>stop_when_exhausted</c>). See docs/privacy.md.
/// </summary>
public sealed record PrivacySection
{
    public const string None = "none";
    public const string DpSgd = "dp_sgd";
    public const string ClientDp = "client_dp";

    public string Mode { get; init; } = None;
    public double? NoiseMultiplier { get; init; }
    public double? TargetEpsilon { get; init; }
    public double Delta { get; init; } = 1e-5;
    /// <summary>dp_sgd: per-example gradient bound C; client_dp: per-client update bound S (initial C₀ when adaptive).</summary>
    public double ClipNorm { get; init; } = 1.0;
    /// <summary>dp_sgd: expected examples per step qN; default local.batch_size × local.gradient_accumulation_steps.</summary>
    public int? ExpectedBatchSize { get; init; }
    /// <summary>client_dp: target unclipped quantile γ of adaptive clipping; null = fixed clipping.</summary>
    public double? AdaptiveQuantile { get; init; }
    public double AdaptiveLearningRate { get; init; } = 0.2;
    /// <summary>client_dp adaptive: σ_b of the unclipped count; default clients per round / 20.</summary>
    public double? AdaptiveCountNoise { get; init; }
    /// <summary>client_dp: clients clip and noise their own updates (fixed clipping only).</summary>
    public bool ClientSideNoise { get; init; }
    /// <summary>Stop when the next round would pass target_epsilon (client_dp: the run ends; dp_sgd: that client stops joining).</summary>
    public bool StopWhenExhausted { get; init; }
    /// <summary>Noise and DP-SGD batches from the OS CSPRNG instead of seeded streams (not reproducible).</summary>
    public bool SecureNoise { get; init; }
    /// <summary>A finished non-private run folder to compare utility with (its final mean held-out loss).</summary>
    public string? CompareWith { get; init; }

    public bool Enabled => !Mode.Equals(None, StringComparison.OrdinalIgnoreCase);

    public bool IsDpSgd => Mode.Equals(DpSgd, StringComparison.OrdinalIgnoreCase);

    public bool IsClientDp => Mode.Equals(ClientDp, StringComparison.OrdinalIgnoreCase);

    public IReadOnlyList<string> Validate(SimulationConfig config)
    {
        var problems = new List<string>();
        if (!Enabled) return problems;
        if (!IsDpSgd && !IsClientDp)
        {
            problems.Add($"privacy.mode must be {None}, {DpSgd} or {ClientDp}, got '{Mode}'");
            return problems;
        }
        if (NoiseMultiplier is null && TargetEpsilon is null) problems.Add("privacy: give noise_multiplier or target_epsilon");
        if (NoiseMultiplier is double z && !(z >= 0 && double.IsFinite(z))) problems.Add($"privacy.noise_multiplier must be finite and >= 0, got {z}");
        if (TargetEpsilon is double e && !(e > 0 && double.IsFinite(e))) problems.Add($"privacy.target_epsilon must be finite and > 0, got {e}");
        if (!(Delta > 0 && Delta < 1)) problems.Add($"privacy.delta must be in (0, 1), got {Delta}");
        if (!(ClipNorm > 0 && double.IsFinite(ClipNorm))) problems.Add($"privacy.clip_norm must be finite and > 0, got {ClipNorm}");
        if (StopWhenExhausted && TargetEpsilon is null) problems.Add("privacy.stop_when_exhausted needs target_epsilon (the budget)");
        if (ExpectedBatchSize is <= 0) problems.Add($"privacy.expected_batch_size must be positive, got {ExpectedBatchSize}");
        if (AdaptiveQuantile is double g && !(g >= 0 && g <= 1)) problems.Add($"privacy.adaptive_quantile must be in [0, 1], got {g}");
        if (IsDpSgd && (AdaptiveQuantile is not null || ClientSideNoise))
            problems.Add("privacy.adaptive_quantile and privacy.client_side_noise apply to mode client_dp only");
        if (IsClientDp)
        {
            string algorithm = StrategyNames.Normalize(config.Strategy.Algorithm) ?? config.Strategy.Algorithm;
            if (algorithm is StrategyNames.Local or StrategyNames.Central or StrategyNames.Scaffold)
                problems.Add($"privacy.mode client_dp cannot be combined with strategy '{algorithm}' (use fedavg, fedprox, fedavgm or a FedOpt variant)");
            if (ClientSideNoise && AdaptiveQuantile is not null)
                problems.Add("privacy.client_side_noise works with fixed clipping only (drop adaptive_quantile)");
        }
        return problems;
    }

    /// <summary>The DP-SGD plan for every client, or null unless mode is dp_sgd.</summary>
    public LocalDpSgdPlan? ToDpSgdPlan(SimulationConfig config) => !IsDpSgd ? null : new LocalDpSgdPlan
    {
        Options = new DpSgdOptions
        {
            NoiseMultiplier = NoiseMultiplier ?? 0,
            MaxGradNorm = ClipNorm,
            ExpectedBatchSize = ExpectedBatchSize,
            SecureRandomness = SecureNoise,
        },
        FixedNoise = NoiseMultiplier is not null,
        TargetEpsilon = TargetEpsilon,
        Delta = Delta,
        PlannedSteps = (long)config.Rounds * config.Local.LocalSteps,
        StopWhenExhausted = StopWhenExhausted,
    };

    /// <summary>Wraps <paramref name="strategy"/> in client-level DP when mode is client_dp; otherwise returns it unchanged.</summary>
    public ServerStrategy Wrap(ServerStrategy strategy, SimulationConfig config, int totalClients)
    {
        if (!IsClientDp) return strategy;
        int perRound = ClientSampler.SampleSize(totalClients, config.Strategy.ClientsPerRound, config.Strategy.ClientFraction);
        double q = Math.Min(1.0, (double)perRound / totalClients);
        double z = NoiseMultiplier ?? NoiseCalibration.NoiseForEpsilon(TargetEpsilon!.Value, Delta, q, config.Rounds);
        return new DpFedAvgStrategy(strategy, new ClientDpOptions
        {
            NoiseMultiplier = z,
            ClipNorm = ClipNorm,
            ClientsPerRound = perRound,
            TotalClients = totalClients,
            AdaptiveQuantile = AdaptiveQuantile,
            AdaptiveLearningRate = AdaptiveLearningRate,
            AdaptiveCountNoise = AdaptiveCountNoise,
            ClientSideNoise = ClientSideNoise,
            Delta = Delta,
            EpsilonBudget = StopWhenExhausted ? TargetEpsilon : null,
            SecureNoise = SecureNoise,
        }, config.Seed);
    }
}
