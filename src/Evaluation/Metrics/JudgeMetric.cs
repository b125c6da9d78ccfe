using System.Text.Json.Nodes;
using FedLlm.Evaluation.Statistics;
using FedLlm.Training.Runs;
using Microsoft.Extensions.AI;

namespace FedLlm.Evaluation.Metrics;

/// <summary>
/// LLM-as-judge: the evaluated model answers each prompt, the suite's judge grades each answer (<see cref="JudgePrompt"/>,
/// temperature 0, through the generator interface, so a cache_dir on the judge keeps every judgment and a re-run sends
/// nothing). The score is the mean rating over parsed judgments; unparsed judgments (no [[x]] from 1 to 10) are counted
/// and reported, never scored (MT-Bench's −1 would drag a mean down for the judge's failures).
/// </summary>
public static class JudgeMetric
{
    public static async Task<TaskResult> RunAsync(TaskContext context, CancellationToken cancellation)
    {
        var judge = context.Judge ?? throw new InvalidOperationException($"task {context.Task.Name}: the suite has no judge");
        var answers = await GeneratedAnswers.GenerateAsync(context, cancellation);
        var options = new ChatOptions { Temperature = 0, MaxOutputTokens = context.Task.JudgeMaxTokens, Seed = (long)(context.Suite.Seed & long.MaxValue) };
        var judgments = await Task.WhenAll(context.Items.Select((item, i) => answers[i].Error is not null
            ? Task.FromResult<(string?, string?)>((null, null))
            : Judge(judge, JudgePrompt.Messages(item.Prompt!, answers[i].Text, item.Target), options, cancellation)));
        var ratings = new double[answers.Count];
        var records = new List<JsonObject>();
        int unparsed = 0, judgeErrors = 0;
        for (int i = 0; i < answers.Count; i++)
        {
            var (judgment, error) = judgments[i];
            double? rating = judgment is null ? null : JudgePrompt.ParseRating(judgment);
            if (judgment is not null && rating is null) unparsed++;
            if (error is not null) judgeErrors++;
            ratings[i] = rating ?? double.NaN;
            records.Add(new JsonObject
            {
                ["id"] = context.Items[i].Id,
                ["answer"] = answers[i].Text,
                ["judgment"] = judgment,
                ["rating"] = MetricsLog.Number(ratings[i]),
                ["error"] = answers[i].Error ?? error,
            });
        }
        return new TaskResult(context.Task.Name, context.Task.Metric, context.ModelName, answers.Count,
            [new AggregateValue("score", context.Interval(Bootstrap.Mean(ratings), "score"), HigherIsBetter: true)],
            new Dictionary<string, int>
            {
                ["parsed"] = ratings.Count(double.IsFinite),
                ["unparsed"] = unparsed,
                ["errors"] = answers.Count(a => a.Error is not null) + judgeErrors,
            }, records);
    }

    private static async Task<(string? Judgment, string? Error)> Judge(IChatClient judge, IReadOnlyList<ChatMessage> messages, ChatOptions options, CancellationToken cancellation)
    {
        try
        {
            return ((await judge.GetResponseAsync(messages, options, cancellation)).Text, null);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or HttpRequestException)
        {
            return (null, "judge: " + e.Message);
        }
    }
}
