using System.Text.Json.Nodes;
using FedLlm.Evaluation.Statistics;
using FedLlm.Training.Runs;

namespace FedLlm.Evaluation.Metrics;

/// <summary>
/// Multiple choice by log-likelihood (as lm-evaluation-harness scores MMLU-style tasks): each option's continuation is
/// scored after the prompt; accuracy takes the option with the highest summed log-probability, accuracy_norm the
/// highest log-probability per character of the continuation (lm-evaluation-harness's acc_norm), which does not favour
/// short options. Ties go to the earlier option.
/// </summary>
public static class MultipleChoiceMetric
{
    public static TaskResult Run(TaskContext context)
    {
        var scores = ChoiceScores.Score(context);
        var correct = new double[context.Items.Count];
        var correctNorm = new double[context.Items.Count];
        var records = new List<JsonObject>();
        for (int i = 0; i < context.Items.Count; i++)
        {
            var item = context.Items[i];
            int chosen = ChoiceScores.Best(scores[i], normalise: false);
            int chosenNorm = ChoiceScores.Best(scores[i], normalise: true, item.Continuations);
            correct[i] = chosen == item.AnswerIndex ? 1 : 0;
            correctNorm[i] = chosenNorm == item.AnswerIndex ? 1 : 0;
            records.Add(new JsonObject
            {
                ["id"] = item.Id,
                ["answer"] = item.AnswerIndex,
                ["predicted"] = chosen,
                ["predicted_norm"] = chosenNorm,
                ["log_probs"] = new JsonArray([.. scores[i].Select(s => (JsonNode?)MetricsLog.Number(s.LogProb))]),
                ["correct"] = correct[i] == 1,
            });
        }
        return new TaskResult(context.Task.Name, context.Task.Metric, context.ModelName, context.Items.Count,
        [
            new AggregateValue("accuracy", context.Interval(Bootstrap.Mean(correct), "accuracy"), HigherIsBetter: true),
            new AggregateValue("accuracy_norm", context.Interval(Bootstrap.Mean(correctNorm), "accuracy_norm"), HigherIsBetter: true),
        ], new Dictionary<string, int> { ["correct"] = (int)correct.Sum(), ["correct_norm"] = (int)correctNorm.Sum() }, records);
    }
}
