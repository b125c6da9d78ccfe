using System.Globalization;
using FedLlm.Federation.Engine;
using FedLlm.Federation.Simulation;

namespace FedLlm.Cli.Output;

/// <summary>One line per round on stderr: progress that reads the same in a terminal and in a log.</summary>
public sealed class ConsoleSimulationObserver : ISimulationObserver
{
    public void RoundCompleted(RoundOutcome outcome, int totalRounds)
    {
        string loss = outcome.Accepted.Count == 0 ? "-" : outcome.Accepted.Average(r => r.Metrics.TrainLoss).ToString("F4", CultureInfo.InvariantCulture);
        string rejected = outcome.Rejected.Count == 0 ? "" : $", rejected {string.Join(", ", outcome.Rejected.Select(r => $"{r.ClientId} ({r.Reason})"))}";
        ConsoleOutput.Info($"round {outcome.Round + 1}/{totalRounds}: {outcome.Accepted.Count} clients, train loss {loss}, " +
                           $"{(outcome.BytesDown + outcome.BytesUp) / 1024.0:F0} KiB exchanged, {outcome.Seconds:F1}s{rejected}");
    }

    public void Evaluated(int round, IReadOnlyList<ClientScore> scores)
    {
        var (loss, accuracy) = ClientEvaluation.Mean(scores);
        ConsoleOutput.Info($"  evaluation after round {round + 1}: held-out loss {loss:F4}, accuracy {accuracy:P1}");
    }

    public void Message(string text) => ConsoleOutput.Info(text);
}
