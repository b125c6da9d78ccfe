using FedLlm.Federation.Strategies;

namespace FedLlm.Federation.Engine;

/// <summary>What the server asks one client to do in a round: start from <see cref="Weights"/> and follow <see cref="Plan"/>.</summary>
public sealed record ClientTask(int Round, int ClientId, float[] Weights, RoundPlan Plan);

/// <summary>How a client's local training went (travels with the update; never contains data).</summary>
public sealed record ClientTrainingMetrics(double TrainLoss, int Steps, int Examples, long Tokens, double Seconds);

/// <summary>A client's answer to a <see cref="ClientTask"/>.</summary>
public sealed record ClientResult(ClientUpdate Update, ClientTrainingMetrics Metrics);

/// <summary>
/// Carries tasks to clients and results back. The in-process simulation trains clients directly; a network deployment
/// sends the task over gRPC. The round engine and strategies see only this interface.
/// </summary>
public interface IClientExecutor
{
    Task<ClientResult> ExecuteAsync(ClientTask task, CancellationToken cancellation);
}
