using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FedLlm.Evaluation.Reporting.Html;
using FedLlm.Foundation.Storage;
using FedLlm.Training.Runs;

namespace FedLlm.Federation.Benchmark;

/// <summary>
/// The matrix's results: <c>results.json</c> (every cell's values and every table entry with the values it averages),
/// <c>results.md</c> (one table per metric, mean ± standard deviation over seeds, the best mean of each column in bold,
/// and the cells with their folders) and <c>results.html</c> (the same with a bar chart per metric).
/// </summary>
public static class BenchReport
{
    public const string JsonFile = "results.json";
    public const string MarkdownFile = "results.md";
    public const string HtmlFile = "results.html";

    /// <summary>Writes the three files into the matrix folder; returns the Markdown.</summary>
    public static string Write(BenchResults results)
    {
        string folder = Directory.CreateDirectory(results.Matrix.Directory).FullName;
        AtomicFile.Write(Path.Combine(folder, JsonFile), Encoding.UTF8.GetBytes(ToJson(results).ToJsonString(new JsonSerializerOptions { WriteIndented = true })));
        string markdown = Markdown(results);
        File.WriteAllText(Path.Combine(folder, MarkdownFile), markdown);
        HtmlReport.Write(Path.Combine(folder, HtmlFile), $"Benchmark: {results.Matrix.Name}", markdown, Charts(results),
            JsonSerializer.SerializeToNode(results.Matrix, new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower }));
        return markdown;
    }

    public static JsonObject ToJson(BenchResults results) => new()
    {
        ["matrix"] = results.Matrix.Name,
        ["cells"] = new JsonArray([.. results.Cells.Select(c => (JsonNode)new JsonObject
        {
            ["cell"] = c.Cell.Name,
            ["method"] = c.Cell.Method,
            ["dataset"] = c.Cell.Dataset,
            ["seed"] = c.Cell.Seed,
            ["folder"] = c.Folder,
            ["finished"] = c.Finished,
            ["seconds"] = c.Marker?["seconds"]?.DeepClone(),
            ["peak_memory_mib"] = c.Marker?["peak_memory_mib"]?.DeepClone(),
            ["values"] = new JsonObject(c.Values.Select(v => KeyValuePair.Create(v.Key, (JsonNode?)MetricsLog.Number(v.Value)))),
        })]),
        ["tables"] = new JsonObject(results.Tables.Select(t => KeyValuePair.Create(t.Metric.Name, (JsonNode?)TableJson(t)))),
    };

    private static JsonObject TableJson(BenchTable table)
    {
        var rows = new JsonObject();
        for (int m = 0; m < table.Methods.Count; m++)
        {
            var row = new JsonObject();
            for (int d = 0; d < table.Datasets.Count; d++)
            {
                var entry = table.Entries[m, d];
                row[table.Datasets[d]] = new JsonObject
                {
                    ["mean"] = MetricsLog.Number(entry.Mean),
                    ["std"] = MetricsLog.Number(entry.StandardDeviation),
                    ["n"] = entry.Values.Count,
                    ["values"] = new JsonArray([.. entry.Values.Select(v => (JsonNode?)MetricsLog.Number(v))]),
                    ["best"] = table.BestRows(d).Contains(m),
                };
            }
            rows[table.Methods[m]] = row;
        }
        return new JsonObject { ["description"] = table.Metric.Description, ["higher_is_better"] = table.Metric.HigherIsBetter, ["rows"] = rows };
    }

    public static string Markdown(BenchResults results)
    {
        var matrix = results.Matrix;
        int finished = results.Cells.Count(c => c.Finished);
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"# Benchmark: {matrix.Name}\n\n");
        text.Append(
            $"{matrix.Methods.Count} method(s) × {matrix.Datasets.Count} dataset(s) × {matrix.Seeds.Count} seed(s) ({string.Join(", ", matrix.Seeds)}); " +
            $"{finished} of {results.Cells.Count} cells finished. Each entry is the mean ± sample standard deviation over seeds of the value in each cell's own " +
            "`metrics.jsonl`; the best mean of each column is in bold (every tied one; none when all are equal). Cells: `cells/<method>__<dataset>__seed<seed>/` (normal run folders with their own reports).\n\n");
        foreach (var table in results.Tables)
        {
            text.Append(CultureInfo.InvariantCulture, $"## {table.Metric.Name}\n\n{table.Metric.Description} ({(table.Metric.HigherIsBetter ? "higher" : "lower")} is better).\n\n");
            text.Append("| method |").Append(string.Concat(table.Datasets.Select(d => $" {d} |"))).Append("\n|---|").Append(string.Concat(table.Datasets.Select(_ => "---:|"))).Append('\n');
            for (int m = 0; m < table.Methods.Count; m++)
            {
                text.Append(CultureInfo.InvariantCulture, $"| {table.Methods[m]} |");
                for (int d = 0; d < table.Datasets.Count; d++)
                {
                    string cell = Entry(table.Entries[m, d]);
                    text.Append(' ').Append(table.BestRows(d).Contains(m) ? $"**{cell}**" : cell).Append(" |");
                }
                text.Append('\n');
            }
            text.Append(CultureInfo.InvariantCulture, $"\n![{table.Metric.Name}]({ChartId(table)})\n\n");
        }
        text.Append("## Cells\n\n| cell | finished | seconds | peak memory (MiB) | report |\n|---|---|---:|---:|---|\n");
        foreach (var c in results.Cells)
        {
            string report = c.Finished ? $"[report](cells/{c.Cell.Name}/report.html)" : "–";
            text.Append(CultureInfo.InvariantCulture,
                $"| {c.Cell.Name} | {(c.Finished ? "yes" : "no")} | {c.Marker?["seconds"]?.ToString() ?? "–"} | {c.Marker?["peak_memory_mib"]?.ToString() ?? "–"} | {report} |\n");
        }
        return text.ToString();
    }

    /// <summary>"0.1234 ± 0.0056" (four significant decimals), the mean alone for one seed, "–" for none.</summary>
    public static string Entry(BenchEntry entry)
    {
        if (entry.Values.Count == 0) return "–";
        string mean = Number(entry.Mean);
        return double.IsFinite(entry.StandardDeviation) ? $"{mean} ± {Number(entry.StandardDeviation)}" : mean;
    }

    private static string Number(double value) =>
        Math.Abs(value) >= 1000 ? value.ToString("F1", CultureInfo.InvariantCulture) : value.ToString("F4", CultureInfo.InvariantCulture);

    private static string ChartId(BenchTable table) => "metric-" + table.Metric.Name;

    /// <summary>A bar chart per metric: datasets along the axis, a bar per method at its mean, whiskers at ± one standard deviation.</summary>
    public static IReadOnlyList<ReportChart> Charts(BenchResults results) =>
        [.. results.Tables.Select(table => ReportChart.Bars(ChartId(table), $"{table.Metric.Name} by method and dataset (mean ± sd over seeds)", "dataset",
            table.Metric.Name, table.Datasets, [.. Enumerable.Range(0, table.Methods.Count).Select(m =>
            {
                var entries = Enumerable.Range(0, table.Datasets.Count).Select(d => table.Entries[m, d]).ToList();
                return new ChartSeries(table.Methods[m], [.. entries.Select((_, d) => (double)d)], [.. entries.Select(e => e.Mean)])
                {
                    Lower = [.. entries.Select(e => e.Mean - e.StandardDeviation)],
                    Upper = [.. entries.Select(e => e.Mean + e.StandardDeviation)],
                };
            })]))];
}
