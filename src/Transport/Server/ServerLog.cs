using System.Text.Json.Nodes;
using FedLlm.Federation.Client;
using FedLlm.Federation.Engine;
using FedLlm.Federation.Runs;
using Microsoft.Extensions.Logging;

namespace FedLlm.Transport.Server;

/// <summary>The server's log of a run: one line per round and evaluation, and every update that did not count, with its reason.</summary>
public sealed class ServerLog(ILogger logger, ServerSection server) : IRunObserver
{
    public void RoundCompleted(RoundOutcome outcome, JsonObject record, int totalRounds)
    {
        foreach (var rejected in outcome.Rejected)
            logger.LogWarning("round {Round}: {Name} did not count: {Reason}", outcome.Round + 1, server.Clients[rejected.ClientId].Name, rejected.Reason);
        if (record["failed"] is JsonValue failed) logger.LogWarning("round {Round}/{Total} failed: {Reason}", outcome.Round + 1, totalRounds, failed.GetValue<string>());
        logger.LogInformation("round {Round}/{Total}: {Accepted} accepted, {Rejected} rejected, {Up} bytes up, {Down} bytes down",
            outcome.Round + 1, totalRounds, outcome.Accepted.Count, outcome.Rejected.Count,
            record["wire_bytes_up"]?.GetValue<long>() ?? 0, record["wire_bytes_down"]?.GetValue<long>() ?? 0);
    }

    public void Evaluated(int round, EvaluatedModel model, EvaluationResult result)
    {
        var (loss, accuracy) = ClientEvaluator.Mean(result.Scores);
        logger.LogInformation("evaluation of the {Model} model after round {Round}: {Clients} client(s), held-out loss {Loss:F4}, accuracy {Accuracy:P1}",
            RunMetrics.Label(model), round + 1, result.Scores.Count, loss, accuracy);
    }

    public void Message(string text) => logger.LogInformation("{Message}", text);
}
