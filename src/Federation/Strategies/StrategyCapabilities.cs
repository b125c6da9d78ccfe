namespace FedLlm.Federation.Strategies;

/// <summary>What the engine must do for a strategy besides federated averaging.</summary>
public enum BaselineKind
{
    /// <summary>A federated algorithm: clients train from the global and send updates.</summary>
    None,
    /// <summary>Each client trains alone from its own vector; nothing is exchanged (simulation only).</summary>
    LocalOnly,
    /// <summary>One virtual client trains on everyone's pooled data (simulation only).</summary>
    Central,
}

/// <summary>
/// How a strategy's server step combines client deltas: Δ = Σ s_i·(w_i − w) / D, with s_i = n_i or 1 and D = Σ s_i, or a
/// fixed denominator (DP-FedAvg's expected round size m). A strategy whose step is a function of this one mean can run on
/// an encrypted sum: the server adds ciphertexts with these weights and every member applies the step to the decrypted Δ.
/// </summary>
public sealed record MeanRule(DeltaWeighting Weighting, int? FixedDenominator = null);

/// <summary>
/// What a strategy needs from the rest of the run. Every check of a combination (encryption, client-level DP, DP-SGD,
/// deployment) reads these, so no list of algorithm names exists outside <see cref="StrategyRegistry"/>.
/// </summary>
public sealed record StrategyCapabilities
{
    public BaselineKind Baseline { get; init; }

    /// <summary>Vectors every update carries besides the weights (SCAFFOLD's Δc_i), read one by one in the clear.</summary>
    public IReadOnlyList<string> UpdateExtras { get; init; } = [];

    /// <summary>The mean the server step is a function of; null when the step reads individual updates.</summary>
    public MeanRule? Mean { get; init; }

    public bool ExchangesUpdates => Baseline == BaselineKind.None;

    /// <summary>Why updates of this strategy cannot be aggregated as ciphertexts; null when they can.</summary>
    public string? WhyNotEncrypted =>
        !ExchangesUpdates ? "it is a simulation baseline that exchanges no updates"
        : UpdateExtras.Count > 0 ? $"every update carries {string.Join(", ", UpdateExtras.Select(e => $"'{e}'"))}, which the server must read in the clear"
        : Mean is null ? "its server step reads individual updates, not one weighted sum"
        : null;

    /// <summary>Why client-level DP (clip each update, noise the mean) cannot wrap this strategy; null when it can.</summary>
    public string? WhyNotClientDp =>
        !ExchangesUpdates ? "it is a simulation baseline that exchanges no updates"
        : UpdateExtras.Count > 0 ? $"its {string.Join(", ", UpdateExtras.Select(e => $"'{e}'"))} would leave the clients unprivatised"
        : Mean is null ? "its server step reads individual updates, not one mean"
        : null;

    /// <summary>Why the strategy cannot run across machines; null when it can.</summary>
    public string? WhyNotDeployable => ExchangesUpdates ? null : "it is a simulation baseline (nothing crosses the network); deploy a federated algorithm";

    /// <summary>FedAvg's server: the sample-weighted mean, no state.</summary>
    public static readonly StrategyCapabilities WeightedMean = new() { Mean = new MeanRule(DeltaWeighting.BySampleCount) };
}

/// <summary>One algorithm FedLlm can run: its config name, a one-line summary, what it needs and how to build it.</summary>
public sealed record StrategyKind(string Name, string Summary, StrategyCapabilities Capabilities, Func<StrategyOptions, ServerStrategy> Create);
