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
    /// <param name="clientsPerRound">How many updates one round aggregates (the server knows; a client passes 0).</param>
    public static IReadOnlyList<string> Problems(SimulationConfig config, int clientsPerRound = 0)
    {
        var problems = new List<string>();
        if (config.Strategy.Algorithm is StrategyNames.Local or StrategyNames.Central)
            problems.Add($"strategy.algorithm '{config.Strategy.Algorithm}' is a simulation baseline; a deployed federation needs a federated algorithm");
        if (config.Privacy.Enabled) problems.Add("privacy: not supported over the network transport yet (use fedllm simulate)");
        problems.AddRange(config.Encryption.Validate(config.Strategy.Algorithm, clientsPerRound));
        return problems;
    }
}
