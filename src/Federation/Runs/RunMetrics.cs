using System.Globalization;
using System.Text.Json.Nodes;
using FedLlm.Federation.Client;
using FedLlm.Federation.Engine;
using FedLlm.Training.Runs;

namespace FedLlm.Federation.Runs;

/// <summary>
/// The lines of <c>metrics.jsonl</c>: one <c>"type": "round"</c> line per round and one <c>"type": "evaluation"</c>
/// line per evaluation, whose <c>"model"</c> says what was scored (the global adapter, the base model, or local-only models).
/// Rounds are 0-based; the base model's evaluation has round −1.
/// </summary>
public static class RunMetrics
{
    public const string RoundType = "round";
    public const string EvaluationType = "evaluation";

    /// <summary>The federated (or central) global adapter.</summary>
    public const string GlobalModel = "global";
    /// <summary>The base model with adapters off.</summary>
    public const string BaseModel = "base";
    /// <summary>Each client's own adapter (the local-only baseline), averaged over owners.</summary>
    public const string LocalOnlyModel = "local-only";

    public static string Label(EvaluatedModel model) => model switch
    {
        EvaluatedModel.Base => BaseModel,
        EvaluatedModel.LocalOnly => LocalOnlyModel,
        _ => GlobalModel,
    };

    public static JsonObject Round(RoundOutcome outcome) => new()
    {
        ["type"] = RoundType,
        ["round"] = outcome.Round,
        ["aggregated"] = outcome.Aggregated,
        ["sampled"] = new JsonArray(outcome.Sampled.Select(id => (JsonNode)id).ToArray()),
        ["train_loss"] = new JsonObject(outcome.Accepted.Select(r =>
            KeyValuePair.Create(r.Update.ClientId.ToString(CultureInfo.InvariantCulture), MetricsLog.Number(r.Metrics.TrainLoss)))),
        ["mean_train_loss"] = outcome.Accepted.Count == 0 ? null : MetricsLog.Number(outcome.Accepted.Average(r => r.Metrics.TrainLoss)),
        ["rejected"] = new JsonArray(outcome.Rejected.Select(r => (JsonNode)new JsonObject { ["client"] = r.ClientId, ["reason"] = r.Reason }).ToArray()),
        ["aggregate_update_norm"] = MetricsLog.Number(outcome.UpdateNorm),
        ["bytes_down"] = outcome.BytesDown,
        ["bytes_up"] = outcome.BytesUp,
        ["seconds"] = outcome.Seconds,
    };

    public static JsonObject Evaluation(int round, string model, IReadOnlyList<ClientScore> scores, TestScore? test)
    {
        var (loss, accuracy) = ClientEvaluator.Mean(scores);
        var record = new JsonObject
        {
            ["type"] = EvaluationType,
            ["model"] = model,
            ["round"] = round,
            ["mean_held_out_loss"] = MetricsLog.Number(loss),
            ["mean_held_out_perplexity"] = MetricsLog.Number(Math.Exp(loss)),
            ["mean_accuracy"] = MetricsLog.Number(accuracy),
            ["clients"] = new JsonArray(scores.Select(s => (JsonNode)new JsonObject
            {
                ["client"] = s.ClientId,
                ["loss"] = MetricsLog.Number(s.Loss),
                ["accuracy"] = MetricsLog.Number(s.Accuracy),
                ["examples"] = s.Examples,
            }).ToArray()),
        };
        if (test is not null)
        {
            record["test"] = new JsonObject
            {
                ["loss"] = MetricsLog.Number(test.Loss),
                ["perplexity"] = MetricsLog.Number(test.Perplexity),
                ["accuracy"] = MetricsLog.Number(test.Accuracy),
                ["examples"] = test.Examples,
                ["accuracy_examples"] = test.AccuracyExamples,
            };
        }
        return record;
    }

    /// <summary>The scores of an evaluation line, as written by <see cref="Evaluation"/>.</summary>
    public static IReadOnlyList<ClientScore> Scores(JsonObject evaluation) =>
        (evaluation["clients"] as JsonArray ?? []).OfType<JsonObject>().Select(c => new ClientScore(
            c["client"]!.GetValue<int>(), Read(c["loss"]), Read(c["accuracy"]), c["examples"]?.GetValue<int>() ?? 0)).ToList();

    public static string ModelOf(JsonObject evaluation) => evaluation["model"]?.GetValue<string>() ?? GlobalModel;

    public static double Read(JsonNode? node) => node is null ? double.NaN : node.GetValue<double>();
}
