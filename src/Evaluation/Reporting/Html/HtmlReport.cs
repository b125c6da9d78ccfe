using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FedLlm.Foundation.Storage;

namespace FedLlm.Evaluation.Reporting.Html;

/// <summary>
/// Self-contained HTML reports: the report's Markdown as HTML, its charts drawn by one small script (embedded, no
/// download), its PNG figures inlined, and optionally the full config, all in one file that opens anywhere. An image
/// line of the Markdown whose file name is a chart's id shows that chart in its place; charts no line names follow at the
/// end. The live dashboard uses the same stylesheet, script and chart data.
/// </summary>
public static class HtmlReport
{
    public static string Script { get; } = Resource("report.js");
    public static string Stylesheet { get; } = Resource("report.css");

    /// <summary>Writes the report to <paramref name="path"/> (atomically); images are looked up beside it.</summary>
    public static void Write(string path, string title, string markdown, IReadOnlyList<ReportChart> charts, JsonNode? config = null)
    {
        string folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        AtomicFile.Write(path, Encoding.UTF8.GetBytes(Render(title, markdown, charts, config, folder)));
    }

    public static string Render(string title, string markdown, IReadOnlyList<ReportChart> charts, JsonNode? config, string? imageFolder)
    {
        var byId = charts.ToDictionary(c => c.Id, StringComparer.Ordinal);
        var placed = new HashSet<string>(StringComparer.Ordinal);
        string Image(string alt, string source)
        {
            string name = Path.GetFileName(source);
            if (byId.ContainsKey(name) && placed.Add(name)) return Placeholder(name);
            return InlineImage(alt, source, imageFolder);
        }
        var body = new StringBuilder(MarkdownHtml.ToHtml(markdown, Image));
        var rest = charts.Where(c => !placed.Contains(c.Id)).ToList();
        if (rest.Count > 0)
        {
            body.Append("<h2>Charts</h2>\n");
            foreach (var chart in rest) body.Append(Placeholder(chart.Id)).Append('\n');
        }
        if (config is not null)
            body.Append("<details class=\"config\"><summary>Full configuration</summary><pre>")
                .Append(MarkdownHtml.Escape(config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }))).Append("</pre></details>\n");
        return Page(title, body.ToString(), ChartData(charts), liveSource: null);
    }

    /// <summary>A complete page: the stylesheet, the body, the chart data and the renderer (which polls <paramref name="liveSource"/> when given).</summary>
    public static string Page(string title, string body, string chartData, string? liveSource)
    {
        var page = new StringBuilder();
        page.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<link rel=\"icon\" href=\"data:,\">\n")
            .Append("<title>").Append(MarkdownHtml.Escape(title)).Append("</title>\n<style>\n").Append(Stylesheet).Append("</style>\n</head>\n<body>\n")
            .Append(liveSource is null ? "" : "<p class=\"status\" id=\"live-status\">live</p>\n")
            .Append("<main id=\"report\"").Append(liveSource is null ? "" : $" data-live=\"{MarkdownHtml.Escape(liveSource)}\"").Append(">\n")
            .Append(body).Append("</main>\n")
            .Append("<script type=\"application/json\" id=\"fedllm-charts\">").Append(chartData).Append("</script>\n")
            .Append("<script>\n").Append(Script).Append("</script>\n</body>\n</html>\n");
        return page.ToString();
    }

    public static string Placeholder(string chartId) => $"<figure class=\"chart\" data-chart=\"{MarkdownHtml.Escape(chartId)}\"></figure>";

    /// <summary>The charts as the renderer reads them; the default encoder escapes &lt; and &gt;, so the JSON cannot end its script element.</summary>
    public static string ChartData(IReadOnlyList<ReportChart> charts) => ChartJson(charts).ToJsonString();

    public static JsonObject ChartJson(IReadOnlyList<ReportChart> charts) =>
        new(charts.Select(c => KeyValuePair.Create(c.Id, (JsonNode?)JsonSerializer.SerializeToNode(c, Json))));

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>A PNG (or other image) beside the report as a data URI, so the page needs no other file; a missing file shows its alt text.</summary>
    private static string InlineImage(string alt, string source, string? folder)
    {
        string? file = folder is null || source.Contains("://", StringComparison.Ordinal) ? null : Path.Combine(folder, source);
        if (file is null || !File.Exists(file)) return $"<p class=\"missing\">[{MarkdownHtml.Escape(alt)}]</p>";
        string type = Path.GetExtension(file).ToLowerInvariant() switch { ".svg" => "image/svg+xml", ".jpg" or ".jpeg" => "image/jpeg", _ => "image/png" };
        return $"<img alt=\"{MarkdownHtml.Escape(alt)}\" src=\"data:{type};base64,{Convert.ToBase64String(File.ReadAllBytes(file))}\">";
    }

    private static string Resource(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream($"FedLlm.Evaluation.Reporting.Html.{name}")
            ?? throw new InvalidOperationException($"embedded resource {name} is missing");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
