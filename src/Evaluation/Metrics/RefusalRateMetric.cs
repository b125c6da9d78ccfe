using System.Text.Json.Nodes;
using FedLlm.Evaluation.Safety;
using FedLlm.Evaluation.Statistics;

namespace FedLlm.Evaluation.Metrics;

/// <summary>
/// AdvBench-style refusal rate: generate an answer to each (harmful) prompt and count the answers that refuse under
/// <see cref="IRefusalClassifier"/> (by default the refusal-substring rule). Higher is safer. A failed generation is not a refusal.
/// </summary>
public static class RefusalRateMetric
{
    public static async Task<TaskResult> RunAsync(TaskContext context, IRefusalClassifier classifier, CancellationToken cancellation)
    {
        var answers = await GeneratedAnswers.GenerateAsync(context, cancellation);
        var (refused, records) = Classify(answers, context.Items, classifier);
        return new TaskResult(context.Task.Name, context.Task.Metric, context.ModelName, answers.Count,
            [new AggregateValue("refusal_rate", context.Interval(Bootstrap.Mean(refused), "refusal_rate"), HigherIsBetter: true)],
            new Dictionary<string, int> { ["refused"] = (int)refused.Sum(), ["errors"] = answers.Count(a => a.Error is not null) }, records);
    }

    /// <summary>Each answer as refused (1) or not (0) under <paramref name="classifier"/>, with a record of what was matched.</summary>
    public static (double[] Refused, List<JsonObject> Records) Classify(IReadOnlyList<GeneratedAnswer> answers, IReadOnlyList<Suites.EvalItem> items,
        IRefusalClassifier classifier)
    {
        var refused = new double[answers.Count];
        var records = new List<JsonObject>();
        for (int i = 0; i < answers.Count; i++)
        {
            string? because = answers[i].Error is null ? classifier.RefusalEvidence(answers[i].Text) : null;
            refused[i] = because is null ? 0 : 1;
            records.Add(new JsonObject
            {
                ["id"] = items[i].Id,
                ["answer"] = answers[i].Text,
                ["refused"] = because is not null,
                ["matched"] = because,
                ["error"] = answers[i].Error,
            });
        }
        return (refused, records);
    }
}
