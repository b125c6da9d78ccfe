using FedLlm.Federation.Simulation;
using FedLlm.Federation.Strategies;

namespace FedLlm.Transport;

/// <summary>
/// Run settings the network transport does not carry yet. Both server and client refuse them rather than ignore
/// them: a deployment that silently trained without differential privacy or encryption would mislead its operators.
/// </summary>
public static class NetworkRunLimits
{
    public static IReadOnlyList<string> Problems(SimulationConfig config)
    {
        var problems = new List<string>();
        if (config.Strategy.Algorithm is StrategyNames.Local or StrategyNames.Central)
            problems.Add($"strategy.algorithm '{config.Strategy.Algorithm}' is a simulation baseline; a deployed federation needs a federated algorithm");
        if (config.Privacy.Enabled) problems.Add("privacy: not supported over the network transport yet (use fedllm simulate)");
        if (config.Encryption.Enabled) problems.Add("encryption: not supported over the network transport yet (use fedllm simulate)");
        return problems;
    }
}
