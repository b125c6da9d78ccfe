using System.Text.Json.Nodes;
using FedLlm.Evaluation.Statistics;
using FedLlm.Training.Runs;

namespace FedLlm.Evaluation.Metrics;

/// <summary>
/// Token loss and perplexity: with <c>text:</c> every token of the text (windowed like <c>fedllm score</c>); with
/// <c>prompt:</c> + <c>target:</c> the target's tokens after the chat-rendered prompt. Aggregate loss = total loss /
/// total tokens (token-weighted, as perplexity is defined); perplexity = exp(loss), its interval exp of the loss interval.
/// </summary>
public static class PerplexityMetric
{
    public static TaskResult Run(TaskContext context)
    {
        var losses = new double[context.Items.Count];
        var tokens = new double[context.Items.Count];
        if (context.Task.Text is not null)
        {
            for (int i = 0; i < context.Items.Count; i++)
            {
                var score = context.Scorer.ScoreText(context.ModelIndex, context.Items[i].Text!);
                (losses[i], tokens[i]) = (score.TotalLoss, score.Tokens);
            }
        }
        else
        {
            var scores = context.Scorer.Score(context.ModelIndex, [.. context.Items.Select(item => (context.RenderedPrompt(item), item.Target!))]);
            for (int i = 0; i < scores.Count; i++) (losses[i], tokens[i]) = (double.IsNaN(scores[i].LogProb) ? 0 : -scores[i].LogProb, scores[i].Tokens);
        }
        var loss = context.Interval(Bootstrap.Ratio(losses, tokens), "loss");
        var perplexity = new Estimate(Math.Exp(loss.Value), Math.Exp(loss.Lower), Math.Exp(loss.Upper));
        var records = context.Items.Select((item, i) => new JsonObject
        {
            ["id"] = item.Id,
            ["tokens"] = (int)tokens[i],
            ["loss"] = MetricsLog.Number(tokens[i] == 0 ? double.NaN : losses[i] / tokens[i]),
        }).ToList();
        return new TaskResult(context.Task.Name, context.Task.Metric, context.ModelName, context.Items.Count,
            [new AggregateValue("loss", loss, HigherIsBetter: false), new AggregateValue("perplexity", perplexity, HigherIsBetter: false)],
            new Dictionary<string, int> { ["tokens"] = (int)tokens.Sum(), ["unscored"] = tokens.Count(t => t == 0) }, records);
    }
}
