using System.Text.Json.Nodes;
using FedLlm.Evaluation.Statistics;

namespace FedLlm.Evaluation.Metrics;

/// <summary>One aggregate of a task, e.g. accuracy, with its interval; <paramref name="HigherIsBetter"/> says which way is good.</summary>
public sealed record AggregateValue(string Name, Estimate Estimate, bool HigherIsBetter);

/// <summary>What one task gave for one model: aggregates, counts (errors, unparsed judgments, …) and one record per example.</summary>
public sealed record TaskResult(string Task, string Metric, string Model, int Examples, IReadOnlyList<AggregateValue> Aggregates,
    IReadOnlyDictionary<string, int> Counts, IReadOnlyList<JsonObject> PerExample)
{
    /// <summary>The first aggregate: the task's headline number.</summary>
    public AggregateValue Headline => Aggregates[0];
}
