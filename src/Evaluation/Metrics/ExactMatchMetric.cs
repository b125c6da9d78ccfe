using System.Text.Json.Nodes;
using FedLlm.Evaluation.Statistics;
using FedLlm.Evaluation.Suites;

namespace FedLlm.Evaluation.Metrics;

/// <summary>
/// Generate, extract the answer from the generation and from the reference with the task's rule
/// (<see cref="AnswerExtraction"/>), and count a match when both exist and are equal. A generation without an
/// extractable answer is wrong and counted as "no_answer".
/// </summary>
public static class ExactMatchMetric
{
    public static async Task<TaskResult> RunAsync(TaskContext context, CancellationToken cancellation)
    {
        var rule = AnswerExtraction.Names.Parse(context.Task.Extract, $"{context.Task.Name}.extract");
        var answers = await GeneratedAnswers.GenerateAsync(context, cancellation);
        var correct = new double[answers.Count];
        var records = new List<JsonObject>();
        int noAnswer = 0;
        for (int i = 0; i < answers.Count; i++)
        {
            var item = context.Items[i];
            string? expected = AnswerExtraction.Extract(item.Target!, rule);
            string? predicted = answers[i].Error is null ? AnswerExtraction.Extract(answers[i].Text, rule) : null;
            if (predicted is null) noAnswer++;
            correct[i] = predicted is not null && expected is not null && predicted == expected ? 1 : 0;
            records.Add(new JsonObject
            {
                ["id"] = item.Id,
                ["answer"] = answers[i].Text,
                ["extracted"] = predicted,
                ["reference"] = expected,
                ["correct"] = correct[i] == 1,
                ["error"] = answers[i].Error,
            });
        }
        return new TaskResult(context.Task.Name, context.Task.Metric, context.ModelName, answers.Count,
            [new AggregateValue("exact_match", context.Interval(Bootstrap.Mean(correct), "exact_match"), HigherIsBetter: true)],
            new Dictionary<string, int> { ["correct"] = (int)correct.Sum(), ["no_answer"] = noAnswer, ["errors"] = answers.Count(a => a.Error is not null) },
            records);
    }
}
