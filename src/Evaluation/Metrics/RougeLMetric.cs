using System.Text.Json.Nodes;
using FedLlm.Evaluation.Statistics;
using FedLlm.Training.Runs;

namespace FedLlm.Evaluation.Metrics;

/// <summary>Generate, then the mean ROUGE-L F-measure (<see cref="RougeL"/>) against the target; a failed generation scores 0.</summary>
public static class RougeLMetric
{
    public static async Task<TaskResult> RunAsync(TaskContext context, CancellationToken cancellation)
    {
        var answers = await GeneratedAnswers.GenerateAsync(context, cancellation);
        var scores = answers.Select((a, i) => a.Error is null ? RougeL.FMeasure(a.Text, context.Items[i].Target!) : 0).ToArray();
        var records = context.Items.Select((item, i) => new JsonObject
        {
            ["id"] = item.Id,
            ["answer"] = answers[i].Text,
            ["reference"] = item.Target,
            ["rouge_l"] = MetricsLog.Number(scores[i]),
            ["error"] = answers[i].Error,
        }).ToList();
        return new TaskResult(context.Task.Name, context.Task.Metric, context.ModelName, scores.Length,
            [new AggregateValue("rouge_l", context.Interval(Bootstrap.Mean(scores), "rouge_l"), HigherIsBetter: true)],
            new Dictionary<string, int> { ["errors"] = answers.Count(a => a.Error is not null) }, records);
    }
}
