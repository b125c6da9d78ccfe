using FedLlm.Federation.Strategies;

namespace FedLlm.Federation.Engine;

/// <summary>What the server asks one client to do in a round: start from <see cref="Weights"/> and follow <see cref="Plan"/>.</summary>
public sealed record ClientTask(int Round, int ClientId, float[] Weights, RoundPlan Plan);

/// <summary>How a client's local training went (travels with the update; never contains data).</summary>
/// <param name="Privacy">The client's sample-level DP spend so far when it trains with DP-SGD, otherwise null.</param>
public sealed record ClientTrainingMetrics(double TrainLoss, int Steps, int Examples, long Tokens, double Seconds,
    ClientPrivacyReport? Privacy = null);

/// <summary>A DP-SGD client's (ε, δ) over every step of every round it took part in, and the mechanism parameters.</summary>
public sealed record ClientPrivacyReport(double Epsilon, double Delta, double NoiseMultiplier, double SampleRate, long TotalSteps);

/// <summary>A client's answer to a <see cref="ClientTask"/>.</summary>
public sealed record ClientResult(ClientUpdate Update, ClientTrainingMetrics Metrics)
{
    /// <summary>
    /// Set by a transport that already ran the engine's <see cref="RoundEngine.Check"/> on arrival (so it could tell the
    /// client why it was refused): the engine then uses this verdict instead of checking the update a second time.
    /// </summary>
    public UpdateVerdict? Verdict { get; init; }
}

/// <summary>The outcome of checking one update: null <see cref="Problem"/> means accepted.</summary>
public sealed record UpdateVerdict(string? Problem);

/// <summary>
/// Carries tasks to clients and results back. The in-process simulation trains clients directly; a network deployment
/// sends the task over gRPC. The round engine and strategies see only this interface.
/// </summary>
public interface IClientExecutor
{
    Task<ClientResult> ExecuteAsync(ClientTask task, CancellationToken cancellation);
}
