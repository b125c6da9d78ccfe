using System.Text.Json.Nodes;
using FedLlm.Federation.Runs;

namespace FedLlm.Federation.Benchmark;

/// <summary>A quantity read from a finished cell's run folder, with the direction that is better.</summary>
public sealed record BenchMetric(string Name, string Description, bool HigherIsBetter, Func<IReadOnlyList<JsonObject>, double> Read);

/// <summary>
/// The quantities a results table can show, each read from the cell's own <c>metrics.jsonl</c> (so a table entry is
/// exactly what the cell recorded): the final evaluation of the trained model (the global adapter, or the local-only
/// models for the local baseline), the last round's training loss, traffic, time and privacy spent.
/// </summary>
public static class BenchMetrics
{
    public static IReadOnlyList<BenchMetric> Known { get; } =
    [
        new("held_out_loss", "mean held-out loss over clients, final evaluation", false, m => Final(m)?["mean_held_out_loss"] is { } v ? RunMetrics.Read(v) : double.NaN),
        new("held_out_accuracy", "mean held-out exact-match accuracy over clients, final evaluation", true, m => Final(m) is { } e && Scored(e) ? RunMetrics.Read(e["mean_accuracy"]) : double.NaN),
        new("test_loss", "global test set loss, final evaluation", false, m => Final(m)?["test"]?["loss"] is { } v ? RunMetrics.Read(v) : double.NaN),
        new("test_accuracy", "global test set exact-match accuracy, final evaluation", true, m => Final(m)?["test"]?["accuracy"] is { } v ? RunMetrics.Read(v) : double.NaN),
        new("train_loss", "mean client training loss of the last round", false, m => Rounds(m).LastOrDefault()?["mean_train_loss"] is { } v ? RunMetrics.Read(v) : double.NaN),
        new("mib_exchanged", "MiB sent between server and clients over the run", false, m => Rounds(m).Count == 0 ? double.NaN : Rounds(m).Sum(r => RunMetrics.Read(r["bytes_down"]) + RunMetrics.Read(r["bytes_up"])) / (1 << 20)),
        new("seconds", "seconds of all rounds", false, m => Rounds(m).Count == 0 ? double.NaN : Rounds(m).Sum(r => RunMetrics.Read(r["seconds"]))),
        new("epsilon", "privacy spent (ε at the run's δ)", false, m => m.LastOrDefault(l => l["type"]?.GetValue<string>() == "privacy")?["epsilon"] is JsonValue v ? v.GetValue<double>() : double.NaN),
    ];

    public static BenchMetric Find(string name) => Known.First(k => k.Name == name);

    /// <summary>The last evaluation of the trained model (not the base).</summary>
    private static JsonObject? Final(IReadOnlyList<JsonObject> metrics) =>
        metrics.LastOrDefault(l => l["type"]?.GetValue<string>() == RunMetrics.EvaluationType && RunMetrics.ModelOf(l) != RunMetrics.BaseModel);

    /// <summary>Whether any client's answers were scored (a run with evaluation.max_accuracy_examples: 0 records accuracy 0 for none).</summary>
    private static bool Scored(JsonObject evaluation) => RunMetrics.Scores(evaluation).Any(s => double.IsFinite(s.Accuracy));

    private static List<JsonObject> Rounds(IReadOnlyList<JsonObject> metrics) =>
        [.. metrics.Where(l => l["type"]?.GetValue<string>() == RunMetrics.RoundType)];
}
