using System.Globalization;
using FedLlm.Federation.Privacy;
using FedLlm.Federation.Strategies;
using FedLlm.Foundation.Configuration;
using FedLlm.Privacy.Accounting;
using FedLlm.Training.Privacy;

namespace FedLlm.Federation.Configuration;

public enum PrivacyMode
{
    None,
    /// <summary>Sample-level: every client runs DP-SGD and accounts for its own records.</summary>
    DpSgd,
    /// <summary>Client-level DP-FedAvg: updates are clipped and their mean noised (by the server, or by the clients).</summary>
    ClientDp,
}

/// <summary>
/// The <c>privacy:</c> section. Give <c>noise_multiplier</c> (ε is reported) or <c>target_epsilon</c> (σ is calibrated
/// for the whole run), or both (σ fixed, <c>target_epsilon</c> is the budget for <c>stop_when_exhausted</c>). Noise and
/// DP-SGD sampling come from the OS CSPRNG; <c>reproducible_noise</c> seeds them from the run seed instead, which
/// anyone who knows the seed can regenerate and subtract (simulation tests only). See docs/privacy.md.
/// </summary>
public sealed record PrivacySection
{
    public static readonly NamedValues<PrivacyMode> Modes = new(("none", PrivacyMode.None), ("dp_sgd", PrivacyMode.DpSgd), ("client_dp", PrivacyMode.ClientDp));

    public string Mode { get; init; } = "none";
    public double? NoiseMultiplier { get; init; }
    public double? TargetEpsilon { get; init; }
    public double Delta { get; init; } = 1e-5;
    /// <summary>dp_sgd: per-example gradient bound C; client_dp: per-client update bound S (initial C₀ when adaptive).</summary>
    public double ClipNorm { get; init; } = 1.0;
    /// <summary>dp_sgd: expected examples per step qN; default training.batch_size × training.gradient_accumulation.</summary>
    public int? ExpectedBatchSize { get; init; }
    /// <summary>client_dp: target unclipped quantile γ of adaptive clipping; null = fixed clipping.</summary>
    public double? AdaptiveQuantile { get; init; }
    public double AdaptiveLearningRate { get; init; } = 0.2;
    /// <summary>client_dp adaptive: σ_b of the unclipped count; default clients per round / 20.</summary>
    public double? AdaptiveCountNoise { get; init; }
    /// <summary>client_dp: clients clip and noise their own updates (fixed clipping only; required with encryption).</summary>
    public bool ClientSideNoise { get; init; }
    /// <summary>Stop when the next round would pass target_epsilon (client_dp: the run ends; dp_sgd: that client stops joining).</summary>
    public bool StopWhenExhausted { get; init; }
    /// <summary>
    /// Seed noise and DP-SGD batches from the run seed so runs repeat bit for bit. Anyone who knows the seed can then
    /// regenerate the noise and subtract it: ε holds against no one. Simulation only (and deployment tests, explicitly).
    /// </summary>
    public bool ReproducibleNoise { get; init; }
    /// <summary>A finished non-private run folder to compare utility with (its final mean held-out loss).</summary>
    public string? CompareWith { get; init; }

    public PrivacyMode ModeKind => Modes.TryParse(Mode, out var mode) ? mode : PrivacyMode.None;

    public bool Enabled => ModeKind != PrivacyMode.None;

    public bool IsDpSgd => ModeKind == PrivacyMode.DpSgd;

    public bool IsClientDp => ModeKind == PrivacyMode.ClientDp;

    /// <summary>The section's own problems and those of its combination with the rest of the run.</summary>
    public IReadOnlyList<string> Validate(RunConfig config, StrategyCapabilities? strategy)
    {
        var problems = new List<string>();
        if (Modes.Problem(Mode, "privacy.mode") is { } unknown) return [unknown];
        if (!Enabled) return problems;
        if (NoiseMultiplier is null && TargetEpsilon is null) problems.Add("privacy: give noise_multiplier or target_epsilon");
        if (NoiseMultiplier is double z && !(z >= 0 && double.IsFinite(z))) problems.Add($"privacy.noise_multiplier must be finite and >= 0, got {z}");
        if (TargetEpsilon is double e && !(e > 0 && double.IsFinite(e))) problems.Add($"privacy.target_epsilon must be finite and > 0, got {e}");
        if (!(Delta > 0 && Delta < 1)) problems.Add($"privacy.delta must be in (0, 1), got {Delta}");
        if (!(ClipNorm > 0 && double.IsFinite(ClipNorm))) problems.Add($"privacy.clip_norm must be finite and > 0, got {ClipNorm}");
        if (StopWhenExhausted && TargetEpsilon is null) problems.Add("privacy.stop_when_exhausted needs privacy.target_epsilon (the budget)");
        if (ExpectedBatchSize is <= 0) problems.Add($"privacy.expected_batch_size must be positive, got {ExpectedBatchSize}");
        if (AdaptiveQuantile is double g && !(g >= 0 && g <= 1)) problems.Add($"privacy.adaptive_quantile must be in [0, 1], got {g}");
        if (!(AdaptiveLearningRate >= 0 && double.IsFinite(AdaptiveLearningRate)))
            problems.Add($"privacy.adaptive_learning_rate must be finite and >= 0, got {AdaptiveLearningRate}");
        if (AdaptiveCountNoise is double countNoise && !(countNoise >= 0 && double.IsFinite(countNoise)))
            problems.Add($"privacy.adaptive_count_noise must be finite and >= 0, got {countNoise}");
        if (IsDpSgd && (AdaptiveQuantile is not null || ClientSideNoise))
            problems.Add("privacy.adaptive_quantile and privacy.client_side_noise apply to privacy.mode client_dp only");
        if (IsDpSgd && config.IsDpo)
            problems.Add("privacy.mode dp_sgd cannot be combined with method dpo: DP-SGD clips per-example gradients of the SFT loss, and FedLlm has no per-pair DPO gradients");
        if (IsDpSgd && strategy?.Baseline == BaselineKind.Central)
            problems.Add($"privacy.mode dp_sgd cannot be combined with strategy.algorithm '{config.Strategy.Algorithm}': it pools every client's records into one virtual client, so no client's ε would hold");
        if (IsClientDp)
        {
            if (strategy?.WhyNotClientDp is { } why)
                problems.Add($"privacy.mode client_dp cannot be combined with strategy.algorithm '{config.Strategy.Algorithm}': {why}");
            if (ClientSideNoise && AdaptiveQuantile is not null)
                problems.Add("privacy.client_side_noise works with fixed clipping only: drop privacy.adaptive_quantile");
            if (config.Encryption.Enabled && !ClientSideNoise)
                problems.Add("privacy.mode client_dp with encryption.enabled needs privacy.client_side_noise: true (the server cannot clip or noise ciphertexts)");
        }
        return problems;
    }

    /// <summary>The DP-SGD plan for every client, or null unless mode is dp_sgd.</summary>
    public LocalDpSgdPlan? ToDpSgdPlan(RunConfig config) => !IsDpSgd ? null : new LocalDpSgdPlan
    {
        Options = new DpSgdOptions
        {
            NoiseMultiplier = NoiseMultiplier ?? 0,
            MaxGradNorm = ClipNorm,
            ExpectedBatchSize = ExpectedBatchSize,
            ReproducibleRandomness = ReproducibleNoise,
        },
        FixedNoise = NoiseMultiplier is not null,
        TargetEpsilon = TargetEpsilon,
        Delta = Delta,
        PlannedSteps = (long)config.Rounds * config.Training.StepsPerRound,
        StopWhenExhausted = StopWhenExhausted,
    };

    /// <summary>
    /// Wraps <paramref name="strategy"/> in client-level DP when mode is client_dp; otherwise returns it unchanged.
    /// <paramref name="activeClients"/> is the population each round is drawn from (revoked members left out), so
    /// q = m/N and m count the clients that can actually be sampled.
    /// </summary>
    public ServerStrategy Wrap(ServerStrategy strategy, RunConfig config, int activeClients) =>
        IsClientDp ? new DpFedAvgStrategy(strategy, ClientDpOptionsFor(config, activeClients), config.Seed) : strategy;

    /// <summary>Client-level DP's settings for rounds drawn from <paramref name="activeClients"/> members (a valid client_dp section).</summary>
    public ClientDpOptions ClientDpOptionsFor(RunConfig config, int activeClients)
    {
        int perRound = config.RoundSize(activeClients);
        double q = Math.Min(1.0, (double)perRound / activeClients);
        double z = NoiseMultiplier ?? NoiseCalibration.NoiseForEpsilon(TargetEpsilon!.Value, Delta, q, config.Rounds);
        return new ClientDpOptions
        {
            NoiseMultiplier = z,
            ClipNorm = ClipNorm,
            ClientsPerRound = perRound,
            TotalClients = activeClients,
            AdaptiveQuantile = AdaptiveQuantile,
            AdaptiveLearningRate = AdaptiveLearningRate,
            AdaptiveCountNoise = AdaptiveCountNoise,
            ClientSideNoise = ClientSideNoise,
            Delta = Delta,
            EpsilonBudget = StopWhenExhausted ? TargetEpsilon : null,
            ReproducibleNoise = ReproducibleNoise,
        };
    }

    /// <summary>
    /// The section's one check that needs the federation's size: adaptive clipping splits z between the update sum and
    /// the unclipped count, z_Δ = (z⁻² − (2σ_b)⁻²)^(−1/2) (<see cref="FedLlm.Privacy.Mechanisms.AdaptiveClipping"/>), which
    /// exists only for z &lt; 2σ_b, and both z (when calibrated) and the default σ_b = m/20 depend on m and N.
    /// Null when it holds, does not apply, or the section's own values are invalid (reported by <see cref="Validate"/>).
    /// </summary>
    public string? RoundSizeProblem(RunConfig config, int activeClients)
    {
        if (!IsClientDp || AdaptiveQuantile is null || activeClients <= 0 || config.RoundSize(activeClients) <= 0 || config.Rounds <= 0
            || Validate(config, null).Count > 0) return null;
        var options = ClientDpOptionsFor(config, activeClients);
        double z = options.NoiseMultiplier;
        double countNoise = AdaptiveCountNoise ?? options.ClientsPerRound / 20.0;
        if (z == 0 || z < 2 * countNoise) return null;
        string zFrom = NoiseMultiplier is null ? string.Create(CultureInfo.InvariantCulture, $"calibrated for privacy.target_epsilon {TargetEpsilon}") : "privacy.noise_multiplier";
        string sigmaFrom = AdaptiveCountNoise is null ? $"the default m/20 with m = {options.ClientsPerRound} clients per round" : "privacy.adaptive_count_noise";
        return string.Create(CultureInfo.InvariantCulture,
            $"privacy.adaptive_count_noise must exceed z/2 = {z / 2:G4} for adaptive clipping (z = {z:G4}, {zFrom}); σ_b = {countNoise:G4} ({sigmaFrom})");
    }

    /// <summary>Who the reported ε protects against, for the report's first lines.</summary>
    public string ProtectionStatement(bool encrypted)
    {
        if (!Enabled) return "no differential privacy";
        string who = ModeKind switch
        {
            PrivacyMode.DpSgd => "each client's records, against everyone who sees its updates or the global model (the server included): every client runs DP-SGD before anything leaves it",
            PrivacyMode.ClientDp when ClientSideNoise && encrypted => "each client's whole contribution, against everyone including the server: clients clip and noise their own updates and the server sees only the encrypted sum (distributed DP)",
            PrivacyMode.ClientDp when ClientSideNoise => "each client's whole contribution, against everyone who sees the global model; the server sees each client's noisy update, which carries only its 1/√m share of the noise",
            _ => "each client's whole contribution, against everyone who sees the global model (clients, outsiders), but not against the server, which clips and noises the plaintext updates it receives",
        };
        return ReproducibleNoise
            ? "ε does NOT hold: privacy.reproducible_noise seeded the noise from the run seed, so anyone who knows the seed can regenerate and subtract it. Use this only to test."
            : "ε protects " + who + ".";
    }
}
