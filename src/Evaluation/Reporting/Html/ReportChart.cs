namespace FedLlm.Evaluation.Reporting.Html;

/// <summary>One series of a chart: points (x, y) of a line, or one bar per category; optional interval bounds per point.</summary>
public sealed record ChartSeries(string Label, IReadOnlyList<double> X, IReadOnlyList<double> Y)
{
    public IReadOnlyList<double>? Lower { get; init; }
    public IReadOnlyList<double>? Upper { get; init; }
}

/// <summary>
/// A chart of an HTML report or the live dashboard, drawn in the browser as SVG by the one renderer (report.js): a
/// line chart (series of x, y points; NaN points are gaps) or grouped bars (one group per category, one bar per series,
/// with interval whiskers when bounds are given). <see cref="Id"/> ties it to its place in the page.
/// </summary>
public sealed record ReportChart(string Id, string Title, string Kind, string XLabel, string YLabel, IReadOnlyList<ChartSeries> Series)
{
    public const string LinesKind = "lines";
    public const string BarsKind = "bars";

    /// <summary>Bars: the category names along the x axis (series' X values are ignored).</summary>
    public IReadOnlyList<string> Categories { get; init; } = [];

    public static ReportChart Lines(string id, string title, string xLabel, string yLabel, IReadOnlyList<ChartSeries> series) =>
        new(id, title, LinesKind, xLabel, yLabel, series);

    public static ReportChart Bars(string id, string title, string xLabel, string yLabel, IReadOnlyList<string> categories, IReadOnlyList<ChartSeries> series) =>
        new(id, title, BarsKind, xLabel, yLabel, series) { Categories = categories };
}
