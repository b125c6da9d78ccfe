using FedLlm.Federation.Simulation;
using FedLlm.Federation.Strategies;

namespace FedLlm.Transport;

/// <summary>
/// Run settings the network transport does not carry yet. Both server and client refuse them rather than ignore
/// them: a deployment that silently trained without differential privacy would mislead its operators. Encryption is
/// carried (ciphertexts, encrypted aggregates and sealed key shares), so only its own validity is checked.
/// </summary>
public static class NetworkRunLimits
{
    public static IReadOnlyList<string> Problems(SimulationConfig config)
    {
        var problems = new List<string>();
        if (config.Strategy.Algorithm is StrategyNames.Local or StrategyNames.Central)
            problems.Add($"strategy.algorithm '{config.Strategy.Algorithm}' is a simulation baseline; a deployed federation needs a federated algorithm");
        if (config.Privacy.Enabled) problems.Add("privacy: not supported over the network transport yet (use fedllm simulate)");
        // The round size is known to the server only; it checks max_clients against it (FederationServer.Validate).
        problems.AddRange(config.Encryption.Validate(config.Strategy.Algorithm, clientsPerRound: 0));
        return problems;
    }
}
