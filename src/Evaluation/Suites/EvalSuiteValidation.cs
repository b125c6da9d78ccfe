using System.Globalization;

namespace FedLlm.Evaluation.Suites;

/// <summary>Every problem of a suite on its own, found before any model loads; each names the task and key.</summary>
public static class EvalSuiteValidation
{
    public static IReadOnlyList<string> Problems(EvalSuite suite)
    {
        var problems = new List<string>();
        if (suite.Tasks.Count == 0) problems.Add("tasks: the suite has no tasks");
        if (suite.BootstrapSamples < 0) problems.Add($"bootstrap_samples must be >= 0 (0: no intervals), got {suite.BootstrapSamples}");
        if (!(suite.Confidence is > 0 and < 1)) problems.Add($"confidence must be in (0, 1), got {F(suite.Confidence)}");
        if (suite.MaxBatch < 1) problems.Add($"max_batch must be at least 1, got {suite.MaxBatch}");
        foreach (var duplicate in suite.Tasks.GroupBy(t => t.Name).Where(g => g.Count() > 1))
            problems.Add($"tasks: the name '{duplicate.Key}' is used {duplicate.Count()} times");
        for (int i = 0; i < suite.Tasks.Count; i++) problems.AddRange(TaskProblems(suite.Tasks[i], i));
        bool judged = suite.Tasks.Any(t => MetricKinds.Names.TryParse(t.Metric, out var kind) && kind == MetricKind.Judge);
        if (judged && suite.Judge is null) problems.Add("judge: a judge task needs the suite's judge: section (an endpoint or a model)");
        if (suite.Judge is not null) problems.AddRange(suite.Judge.Validate("judge."));
        return problems;
    }

    public static void ThrowIfInvalid(EvalSuite suite)
    {
        var problems = Problems(suite);
        if (problems.Count > 0) throw new ArgumentException("invalid suite: " + string.Join("; ", problems));
    }

    private static IEnumerable<string> TaskProblems(EvalTask task, int index)
    {
        string at = string.IsNullOrWhiteSpace(task.Name) ? $"tasks[{index}]" : $"tasks[{index}] ({task.Name})";
        if (string.IsNullOrWhiteSpace(task.Name)) yield return $"{at}.name is required";
        if (!MetricKinds.Names.TryParse(task.Metric, out var metric))
        {
            yield return MetricKinds.Names.Problem(task.Metric, $"{at}.metric")!;
            yield break;
        }
        if (string.IsNullOrWhiteSpace(task.Data)) yield return $"{at}.data is required (the dataset file)";
        else if (!File.Exists(task.Data)) yield return $"{at}.data: {task.Data} does not exist";
        if (task.KeysFrom is not null && !File.Exists(task.KeysFrom)) yield return $"{at}.keys_from: {task.KeysFrom} does not exist";
        if (task.Limit is < 1) yield return $"{at}.limit must be at least 1, got {task.Limit}";
        foreach (var (key, template) in Templates(task))
        {
            string? problem = null;
            try { _ = new FieldTemplate(template); }
            catch (FormatException e) { problem = e.Message; }
            if (problem is not null) yield return $"{at}.{key}: {problem}";
        }

        bool classifying = metric == MetricKind.Classification;
        var mode = ClassificationMode.LogLikelihood;
        if (classifying && !ClassificationModes.Names.TryParse(task.Mode, out mode)) yield return ClassificationModes.Names.Problem(task.Mode, $"{at}.mode")!;
        if (metric == MetricKind.Perplexity)
        {
            if ((task.Text is null) == (task.Prompt is null || task.Target is null))
                yield return $"{at}: perplexity scores either text: (a whole text) or prompt: with target: (the target's tokens given the prompt)";
        }
        else if (task.Prompt is null) yield return $"{at}.prompt is required for {task.Metric}";
        if (metric is MetricKind.ExactMatch or MetricKind.RougeL && task.Target is null) yield return $"{at}.target is required for {task.Metric} (the reference answer)";
        if (metric == MetricKind.ExactMatch && AnswerExtraction.Names.Problem(task.Extract, $"{at}.extract") is { } extract) yield return extract;
        if (classifying)
        {
            if (task.Label is null) yield return $"{at}.label is required (the field holding the gold label)";
            if (task.Labels.Count < 2) yield return $"{at}.labels must list at least two labels";
            foreach (var (value, label) in task.LabelValues)
                if (!task.Labels.Contains(label)) yield return $"{at}.label_values: '{value}' maps to '{label}', which is not in labels";
            foreach (string label in task.LabelMatch.Keys.Where(l => !task.Labels.Contains(l))) yield return $"{at}.label_match: '{label}' is not in labels";
            if (task.DefaultLabel is not null && !task.Labels.Contains(task.DefaultLabel)) yield return $"{at}.default_label '{task.DefaultLabel}' is not in labels";
        }
        if (metric == MetricKind.MultipleChoice)
        {
            if (task.Choices is null) yield return $"{at}.choices is required (the field holding the options)";
            if (task.Answer is null) yield return $"{at}.answer is required (the field holding the right option)";
        }
        if (metric.Generates(mode))
        {
            if (task.MaxNewTokens < 1) yield return $"{at}.max_new_tokens must be at least 1, got {task.MaxNewTokens}";
            if (!(task.Temperature is >= 0 and <= 2)) yield return $"{at}.temperature must be in [0, 2], got {F(task.Temperature)}";
            if (!(task.TopP is > 0 and <= 1)) yield return $"{at}.top_p must be in (0, 1], got {F(task.TopP)}";
        }
        if (metric == MetricKind.Judge && task.JudgeMaxTokens < 1) yield return $"{at}.judge_max_tokens must be at least 1, got {task.JudgeMaxTokens}";
    }

    private static IEnumerable<(string Key, string Template)> Templates(EvalTask task)
    {
        if (task.System is not null) yield return ("system", task.System);
        if (task.Prompt is not null) yield return ("prompt", task.Prompt);
        if (task.Text is not null) yield return ("text", task.Text);
        if (task.Target is not null) yield return ("target", task.Target);
        yield return ("label_text", task.LabelText);
        yield return ("choice_text", task.ChoiceText);
    }

    private static string F(double value) => value.ToString("G6", CultureInfo.InvariantCulture);
}
