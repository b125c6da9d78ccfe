using System.Globalization;
using System.Text.Json.Nodes;
using FedLlm.Federation.Client;
using FedLlm.Federation.Engine;
using FedLlm.Federation.Runs;

namespace FedLlm.Cli.Output;

/// <summary>One line per round and evaluation on stderr: progress that reads the same in a terminal and in a log.</summary>
public sealed class ConsoleRunObserver : IRunObserver
{
    public void RoundCompleted(RoundOutcome outcome, JsonObject record, int totalRounds)
    {
        string loss = outcome.Accepted.Count == 0 ? "-" : outcome.Accepted.Average(r => r.Metrics.TrainLoss).ToString("F4", CultureInfo.InvariantCulture);
        string rejected = outcome.Rejected.Count == 0 ? "" : $", rejected {string.Join(", ", outcome.Rejected.Select(r => $"{r.ClientId} ({r.Reason})"))}";
        string failed = record["failed"] is JsonValue reason ? $" — round failed: {reason.GetValue<string>()}" : "";
        string privacy = record["epsilon"] is JsonValue epsilon ? $", ε {epsilon.GetValue<double>():G4}" : "";
        ConsoleOutput.Info($"round {outcome.Round + 1}/{totalRounds}: {outcome.Accepted.Count} clients, train loss {loss}, " +
                           $"{(outcome.BytesDown + outcome.BytesUp) / 1024.0:F0} KiB exchanged, {outcome.Seconds:F1}s{privacy}{rejected}{failed}");
    }

    public void Evaluated(int round, EvaluatedModel model, EvaluationResult result)
    {
        var (loss, accuracy) = ClientEvaluator.Mean(result.Scores);
        string when = model == EvaluatedModel.Base ? "base model" : $"after round {round + 1}";
        ConsoleOutput.Info($"  evaluation ({when}): held-out loss {loss:F4}, accuracy {accuracy:P1}");
    }

    public void Message(string text) => ConsoleOutput.Info(text);
}
