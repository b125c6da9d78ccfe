using FedLlm.Federation.Encryption;
using FedLlm.Federation.Pruning;
using FedLlm.Models.Lora;
using FedLlm.Federation.Strategies;
using FedLlm.Encryption.Homomorphic;

namespace FedLlm.Federation.Simulation;

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
    public string Pruning { get; init; } = PruningModes.None;
    public double P0 { get; init; } = 0.2;
    public double P1 { get; init; } = 0.5;
    public int StartRound { get; init; } = 40;
    public int EndRound { get; init; } = 200;

    public PruningSchedule Schedule => new(P0, P1, StartRound, EndRound);

    public HeParameters CreateParameters() => HeParameters.Create(clipBound: ClipRange, maxClients: MaxClients);

    /// <summary>The HE parameters and pruning plan for an adapter layout and run seed (valid sections only).</summary>
    public EncryptionSetup CreateSetup(ParameterLayout layout, ulong seed) =>
        new(CreateParameters(), new PruningPlan(PruningModes.Parse(Pruning) ?? throw new ArgumentException($"unknown pruning mode '{Pruning}'"),
            Schedule, layout, seed));

    /// <summary>Every problem with the section given the run's algorithm and client count; empty when valid or disabled.</summary>
    public IReadOnlyList<string> Validate(string algorithm, int clientsPerRound)
    {
        var problems = new List<string>();
        if (!Enabled) return problems;
        // Encrypted aggregation can only compute a linear function of the updates: FedAvg's weighted mean. Adaptive
        // server optimisers (fedadam, fedyogi, fedadagrad) need the plaintext Δ for their moment estimates, SCAFFOLD
        // averages control variates too, and the baselines exchange nothing. FedAvgM could work with the momentum kept
        // by the clients (they all hold the decrypted Δ); that is future work.
        if (StrategyNames.Normalize(algorithm) is not StrategyNames.FedAvg)
            problems.Add($"encryption.enabled requires strategy.algorithm '{StrategyNames.FedAvg}' (got '{algorithm}'): the server sums ciphertexts, so only a weighted mean can be computed; adaptive server optimisers need the plaintext update");
        if (PruningModes.Parse(Pruning) is null)
            problems.Add($"encryption.pruning must be one of {string.Join(", ", PruningModes.All)} (got '{Pruning}')");
        if (MaxClients < clientsPerRound)
            problems.Add($"encryption.max_clients ({MaxClients}) is below the {clientsPerRound} clients one round can aggregate");
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
}
