using System.Text.Json.Nodes;
using FedLlm.Evaluation.Reporting.Html;
using FedLlm.Federation.Runs;

namespace FedLlm.Federation.Reporting;

/// <summary>
/// <c>report.html</c> of a run folder, written beside report.md whenever that is: the same report, its curves drawn
/// as interactive charts (with ε and per-client bars), and the full config.json, in one self-contained file.
/// </summary>
public static class RunHtmlReport
{
    public const string FileName = "report.html";

    public static string Write(RunDirectory run, string markdown)
    {
        var charts = RunCharts.From([.. run.ReadMetrics()], RunCharts.ClientNames(run));
        var config = File.Exists(run.ConfigFile) ? JsonNode.Parse(File.ReadAllText(run.ConfigFile)) : null;
        string path = run.File(FileName);
        HtmlReport.Write(path, $"Run report: {Path.GetFileName(run.Path)}", markdown, charts, config);
        return path;
    }
}
