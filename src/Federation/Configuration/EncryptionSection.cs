using FedLlm.Federation.Encryption;
using FedLlm.Federation.Pruning;
using FedLlm.Models.Lora;
using FedLlm.Federation.Strategies;
using FedLlm.Encryption.Homomorphic;

namespace FedLlm.Federation.Configuration;

/// <summary>
/// The <c>encryption:</c> section: encrypted FedAvg of (optionally pruned) LoRA deltas with the RLWE scheme of
/// FedLlm.Encryption.Homomorphic. See docs/homomorphic-encryption.md ("Integration").
/// </summary>
public sealed record EncryptionSection
{
    public bool Enabled { get; init; }
    /// <summary>B: each delta value is clipped to [−B, B] before fixed-point encoding (2^20 steps per unit).</summary>
    public double ClipRange { get; init; } = 1.0;
    /// <summary>K_max: most clients one aggregate may sum; sizes the noise budget (must cover the clients per round).</summary>
    public int MaxClients { get; init; } = 64;
    /// <summary>none | per_tensor | shared_mask.</summary>
    public string Pruning { get; init; } = "none";
    public double P0 { get; init; } = 0.2;
    public double P1 { get; init; } = 0.5;
    public int StartRound { get; init; } = 40;
    public int EndRound { get; init; } = 200;

    public PruningSchedule Schedule => new(P0, P1, StartRound, EndRound);

    public HeParameters CreateParameters() => HeParameters.Create(clipBound: ClipRange, maxClients: MaxClients);

    /// <summary>The HE parameters, pruning plan and members' server step for an adapter layout and run (valid configs only).</summary>
    public EncryptionSetup CreateSetup(ParameterLayout layout, RunConfig config) =>
        new(CreateParameters(), new PruningPlan(PruningModes.Names.Parse(Pruning, "encryption.pruning"), Schedule, layout, config.Seed),
            ServerStepOf(config));

    /// <summary>What determines the step every member runs on the decrypted mean: they must all agree on it.</summary>
    private static string ServerStepOf(RunConfig config)
    {
        var s = config.Strategy;
        var p = config.Privacy;
        return string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{StrategyRegistry.Find(s.Algorithm).Name}|eta={s.ServerLearningRate:R}|b1={s.Beta1:R}|b2={s.Beta2:R}|tau={s.Tau:R}|k={s.ClientsPerRound}|f={s.ClientFraction:R}|privacy={p.ModeKind}|z={p.NoiseMultiplier:R}|S={p.ClipNorm:R}");
    }

    /// <summary>Every problem with the section given the run's strategy and round size; empty when valid or disabled.</summary>
    /// <param name="clientsPerRound">Updates one round sums (0 when not known yet: <see cref="RunConfig.ValidateFederation"/> checks it once known).</param>
    public IReadOnlyList<string> Validate(string algorithm, StrategyCapabilities? strategy, int clientsPerRound = 0)
    {
        var problems = new List<string>();
        if (!Enabled) return problems;
        // Encrypted aggregation computes one weighted sum of the updates; every member then runs the strategy's server
        // step on the decrypted mean. A strategy that reads updates one by one (SCAFFOLD's control variates) cannot.
        if (strategy?.WhyNotEncrypted is { } why)
            problems.Add($"encryption.enabled cannot be combined with strategy.algorithm '{algorithm}': {why}");
        if (PruningModes.Names.Problem(Pruning, "encryption.pruning") is { } unknown) problems.Add(unknown);
        if (RoundSizeProblem(clientsPerRound) is { } tooMany) problems.Add(tooMany);
        problems.AddRange(Schedule.Validate());
        try
        {
            CreateParameters();
        }
        catch (ArgumentException e)
        {
            problems.Add($"encryption: clip_range {ClipRange} with max_clients {MaxClients} gives no secure parameters: {e.Message}");
        }
        return problems;
    }

    /// <summary>The one check that needs the round size: one aggregate may sum at most max_clients updates; null when it fits or is unknown (≤ 0).</summary>
    public string? RoundSizeProblem(int clientsPerRound) =>
        Enabled && clientsPerRound > 0 && MaxClients < clientsPerRound
            ? $"encryption.max_clients ({MaxClients}) is below the {clientsPerRound} clients one round can aggregate"
            : null;
}
