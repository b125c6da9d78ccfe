using System.Text.Json.Nodes;
using FedLlm.Evaluation.Statistics;
using FedLlm.Evaluation.Suites;
using FedLlm.Training.Runs;

namespace FedLlm.Evaluation.Metrics;

/// <summary>
/// Classification with accuracy and macro-F1 (<see cref="ClassificationScores"/>). By log-likelihood: the label whose
/// continuation (<c>label_text</c>, default " {label}") has the highest summed log-probability after the prompt (ties go to
/// the earlier label). By generation (FinGPT's method): generate, then the first label in <c>labels</c> order one of
/// whose <c>label_match</c> substrings (default: the label itself; case-sensitive) occurs in the answer, else
/// <c>default_label</c>, else unmapped.
/// </summary>
public static class ClassificationMetric
{
    public static async Task<TaskResult> RunAsync(TaskContext context, CancellationToken cancellation)
    {
        var task = context.Task;
        var mode = ClassificationModes.Names.Parse(task.Mode, $"{task.Name}.mode");
        var gold = context.Items.Select(i => i.Label!).ToList();
        var predicted = new string?[gold.Count];
        var records = context.Items.Select(item => new JsonObject { ["id"] = item.Id, ["label"] = item.Label }).ToList();
        int errors = 0;
        if (mode == ClassificationMode.LogLikelihood)
        {
            var choices = ChoiceScores.Score(context);
            for (int i = 0; i < gold.Count; i++)
            {
                predicted[i] = task.Labels[ChoiceScores.Best(choices[i], normalise: false)];
                records[i]["log_probs"] = new JsonArray([.. choices[i].Select(c => (JsonNode?)MetricsLog.Number(c.LogProb))]);
            }
        }
        else
        {
            var answers = await GeneratedAnswers.GenerateAsync(context, cancellation);
            for (int i = 0; i < gold.Count; i++)
            {
                predicted[i] = answers[i].Error is null ? Map(task, answers[i].Text) : null;
                records[i]["answer"] = answers[i].Text;
                records[i]["error"] = answers[i].Error;
                if (answers[i].Error is not null) errors++;
            }
        }
        for (int i = 0; i < gold.Count; i++)
        {
            records[i]["predicted"] = predicted[i];
            records[i]["correct"] = predicted[i] == gold[i];
        }
        var counts = new Dictionary<string, int>
        {
            ["correct"] = Enumerable.Range(0, gold.Count).Count(i => predicted[i] == gold[i]),
            ["unmapped"] = predicted.Count(p => p is null) - errors,
            ["errors"] = errors,
        };
        // The confusion matrix as counts "gold→predicted", for the report.
        foreach (var pair in Enumerable.Range(0, gold.Count).GroupBy(i => $"{gold[i]}→{predicted[i] ?? ClassificationScores.Unmapped}"))
            counts["confusion " + pair.Key] = pair.Count();
        return new TaskResult(task.Name, task.Metric, context.ModelName, gold.Count,
        [
            new AggregateValue("accuracy", context.Interval(ClassificationScores.Accuracy(gold, predicted), "accuracy"), HigherIsBetter: true),
            new AggregateValue("macro_f1", context.Interval(ClassificationScores.MacroF1(task.Labels, gold, predicted), "macro_f1"), HigherIsBetter: true),
        ], counts, records);
    }

    /// <summary>The label an answer maps to by the task's substrings, or null when none matches and there is no default.</summary>
    public static string? Map(EvalTask task, string answer)
    {
        foreach (string label in task.Labels)
        {
            var needles = task.LabelMatch.TryGetValue(label, out var listed) && listed.Count > 0 ? listed : [label];
            if (needles.Any(n => answer.Contains(n, StringComparison.Ordinal))) return label;
        }
        return task.DefaultLabel;
    }
}
