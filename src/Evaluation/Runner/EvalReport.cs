using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FedLlm.Evaluation.Metrics;
using FedLlm.Evaluation.Reporting.Html;
using FedLlm.Evaluation.Statistics;
using FedLlm.Evaluation.Suites;
using FedLlm.Foundation.Storage;
using FedLlm.Training.Runs;

namespace FedLlm.Evaluation.Runner;

/// <summary>
/// The files of an evaluation: <c>results.json</c> (every aggregate with its interval, the counts and one record per
/// example), <c>report.md</c> (a summary table, the best model of each row in bold, and one table per task) and <c>report.html</c>
/// (the same with a chart per task and the suite).
/// </summary>
public static class EvalReport
{
    public const string JsonFile = "results.json";
    public const string MarkdownFile = "report.md";
    public const string HtmlFile = "report.html";

    /// <summary>Writes the three files into <paramref name="folder"/>; returns the Markdown.</summary>
    public static string Write(string folder, EvalSuite suite, EvalResults results)
    {
        Directory.CreateDirectory(folder);
        var json = ToJson(suite, results);
        AtomicFile.Write(Path.Combine(folder, JsonFile), Encoding.UTF8.GetBytes(json.ToJsonString(new JsonSerializerOptions { WriteIndented = true })));
        string markdown = Markdown(suite, results);
        File.WriteAllText(Path.Combine(folder, MarkdownFile), markdown);
        HtmlReport.Write(Path.Combine(folder, HtmlFile), $"Evaluation: {suite.Name}", markdown, Charts(results),
            JsonSerializer.SerializeToNode(suite, new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower }));
        return markdown;
    }

    public static JsonObject ToJson(EvalSuite suite, EvalResults results) => new()
    {
        ["suite"] = suite.Name,
        ["model"] = results.ModelPath,
        ["models"] = new JsonArray([.. results.Models.Select(m => (JsonNode)new JsonObject { ["name"] = m.Name, ["adapter"] = m.Path })]),
        ["started"] = results.Started.ToString("O", CultureInfo.InvariantCulture),
        ["seconds"] = Math.Round(results.Seconds, 2),
        ["confidence"] = suite.Confidence,
        ["bootstrap_samples"] = suite.BootstrapSamples,
        ["seed"] = suite.Seed,
        ["results"] = new JsonArray([.. results.Results.Select(r => (JsonNode)new JsonObject
        {
            ["task"] = r.Task,
            ["metric"] = r.Metric,
            ["model"] = r.Model,
            ["examples"] = r.Examples,
            ["aggregates"] = new JsonObject(r.Aggregates.Select(a => KeyValuePair.Create(a.Name, (JsonNode?)new JsonObject
            {
                ["value"] = MetricsLog.Number(a.Estimate.Value),
                ["lower"] = MetricsLog.Number(a.Estimate.Lower),
                ["upper"] = MetricsLog.Number(a.Estimate.Upper),
                ["higher_is_better"] = a.HigherIsBetter,
            }))),
            ["counts"] = new JsonObject(r.Counts.Select(c => KeyValuePair.Create(c.Key, (JsonNode?)c.Value))),
            ["per_example"] = new JsonArray([.. r.PerExample.Select(e => (JsonNode)e.DeepClone())]),
        })]),
    };

    public static string Markdown(EvalSuite suite, EvalResults results)
    {
        var text = new StringBuilder();
        var models = results.Models.Select(m => m.Name).ToList();
        text.Append(CultureInfo.InvariantCulture, $"# Evaluation: {suite.Name}\n\n");
        text.Append(CultureInfo.InvariantCulture, $"Base model `{results.ModelPath}`; evaluated: {string.Join(", ", results.Models.Select(m => m.Path is null ? $"{m.Name} (the base)" : $"{m.Name} (`{m.Path}`)"))}. ");
        text.Append(CultureInfo.InvariantCulture, $"{suite.Tasks.Count} task(s); intervals are {suite.Confidence:P0} percentile-bootstrap intervals over examples ({suite.BootstrapSamples} resamples, seed {suite.Seed}). ");
        text.Append(CultureInfo.InvariantCulture, $"Took {results.Seconds:F1} s. Rules of every metric: docs/evaluation.md.\n\n");

        text.Append("## Summary\n\n| task | metric | examples |");
        foreach (string model in models) text.Append(CultureInfo.InvariantCulture, $" {Cell(model)} |");
        text.Append("\n|---|---|---:|").Append(string.Concat(models.Select(_ => "---:|"))).Append('\n');
        foreach (string task in results.Tasks)
        {
            var row = models.Select(m => results.Find(task, m)).ToList();
            var first = row.First(r => r is not null)!;
            foreach (var aggregate in first.Aggregates)
            {
                var values = row.Select(r => r?.Aggregates.First(a => a.Name == aggregate.Name).Estimate).ToList();
                var best = Best.Rows([.. values.Select(v => v?.Value ?? double.NaN)], aggregate.HigherIsBetter);
                text.Append(CultureInfo.InvariantCulture, $"| {Cell(task)} | {aggregate.Name} | {first.Examples} |");
                for (int m = 0; m < values.Count; m++)
                {
                    string cell = values[m] is { } v ? Format(aggregate.Name, v) : "–";
                    text.Append(' ').Append(best.Contains(m) ? $"**{cell}**" : cell).Append(" |");
                }
                text.Append('\n');
            }
        }
        text.Append('\n');
        foreach (string task in results.Tasks)
        {
            var rows = models.Select(m => results.Find(task, m)).OfType<TaskResult>().ToList();
            var spec = suite.Tasks.First(t => t.Name == task);
            text.Append(CultureInfo.InvariantCulture, $"## {task}\n\n`{spec.Metric}` on `{spec.Data}`, {rows[0].Examples} examples{Describe(spec)}.\n\n");
            var counts = rows.SelectMany(r => r.Counts.Keys).Distinct().Where(k => !k.StartsWith("confusion ", StringComparison.Ordinal)).ToList();
            text.Append("| model |").Append(string.Concat(rows[0].Aggregates.Select(a => $" {a.Name} |"))).Append(string.Concat(counts.Select(c => $" {c} |")));
            text.Append("\n|---|").Append(string.Concat(rows[0].Aggregates.Select(_ => "---:|"))).Append(string.Concat(counts.Select(_ => "---:|"))).Append('\n');
            foreach (var r in rows)
            {
                text.Append(CultureInfo.InvariantCulture, $"| {Cell(r.Model)} |");
                foreach (var a in r.Aggregates) text.Append(' ').Append(Format(a.Name, a.Estimate)).Append(" |");
                foreach (string c in counts) text.Append(' ').Append(r.Counts.TryGetValue(c, out int n) ? n.ToString(CultureInfo.InvariantCulture) : "–").Append(" |");
                text.Append('\n');
            }
            text.Append('\n');
            var confusion = rows.SelectMany(r => r.Counts.Keys).Distinct().Where(k => k.StartsWith("confusion ", StringComparison.Ordinal)).ToList();
            if (confusion.Count > 0)
            {
                text.Append("Gold → predicted counts:\n\n| model |").Append(string.Concat(confusion.Select(c => $" {Cell(c["confusion ".Length..])} |")));
                text.Append("\n|---|").Append(string.Concat(confusion.Select(_ => "---:|"))).Append('\n');
                foreach (var r in rows)
                    text.Append(CultureInfo.InvariantCulture, $"| {Cell(r.Model)} |").Append(string.Concat(confusion.Select(c => $" {(r.Counts.TryGetValue(c, out int n) ? n : 0)} |"))).Append('\n');
                text.Append('\n');
            }
            text.Append(CultureInfo.InvariantCulture, $"![{task}]({ChartId(task)})\n\n");
        }
        return text.ToString();
    }

    /// <summary>One bar chart per task: each model's aggregates (all of them when they share the 0–1 scale, else the headline) with intervals.</summary>
    public static IReadOnlyList<ReportChart> Charts(EvalResults results)
    {
        var charts = new List<ReportChart>();
        foreach (string task in results.Tasks)
        {
            var rows = results.Models.Select(m => results.Find(task, m.Name)).OfType<TaskResult>().ToList();
            var aggregates = rows[0].Aggregates.All(a => IsRate(a.Name)) ? rows[0].Aggregates : [rows[0].Headline];
            var series = aggregates.Select(a =>
            {
                var estimates = rows.Select(r => r.Aggregates.First(x => x.Name == a.Name).Estimate).ToList();
                return new ChartSeries(a.Name, [.. Enumerable.Range(0, rows.Count).Select(i => (double)i)], [.. estimates.Select(e => e.Value)])
                {
                    Lower = [.. estimates.Select(e => e.Lower)],
                    Upper = [.. estimates.Select(e => e.Upper)],
                };
            }).ToList();
            charts.Add(ReportChart.Bars(ChartId(task), $"{task}: {string.Join(", ", aggregates.Select(a => a.Name))} by model ({rows[0].Examples} examples)",
                "model", aggregates.Count == 1 ? aggregates[0].Name : "value", [.. rows.Select(r => r.Model)], series));
        }
        return charts;
    }

    private static string ChartId(string task) => "task-" + task;

    private static string Describe(EvalTask task) => MetricKinds.Names.Parse(task.Metric, "metric") switch
    {
        MetricKind.ExactMatch => $", answers extracted by `{task.Extract}`, {GenerationText(task)}",
        MetricKind.Classification => $", labels {string.Join("/", task.Labels)} by `{task.Mode}`" + (task.Mode == "generate" ? ", " + GenerationText(task) : ""),
        MetricKind.RougeL or MetricKind.RefusalRate or MetricKind.Judge => ", " + GenerationText(task),
        _ => "",
    };

    private static string GenerationText(EvalTask task) =>
        task.Temperature == 0 ? $"greedy, up to {task.MaxNewTokens} new tokens"
            : string.Create(CultureInfo.InvariantCulture, $"temperature {task.Temperature}, top-p {task.TopP}, up to {task.MaxNewTokens} new tokens");

    /// <summary>Aggregates shown as percentages (all in [0, 1]).</summary>
    public static bool IsRate(string aggregate) => aggregate is "exact_match" or "accuracy" or "accuracy_norm" or "macro_f1" or "refusal_rate" or "rouge_l";

    /// <summary>"61.0% [55.0, 67.0]" for a rate, "1.2345 [1.2, 1.3]" otherwise; no interval without resamples.</summary>
    public static string Format(string aggregate, Estimate estimate)
    {
        bool rate = IsRate(aggregate);
        string One(double v) => !double.IsFinite(v) ? "–" : rate ? (v * 100).ToString("F1", CultureInfo.InvariantCulture) : v.ToString("F4", CultureInfo.InvariantCulture);
        string value = One(estimate.Value) + (rate && double.IsFinite(estimate.Value) ? "%" : "");
        return double.IsFinite(estimate.Lower) ? $"{value} [{One(estimate.Lower)}, {One(estimate.Upper)}]" : value;
    }

    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal);
}
