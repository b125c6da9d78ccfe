using ScottPlot;

namespace FedLlm.Evaluation.Reporting;

/// <summary>One named line of a chart.</summary>
public sealed record PlotSeries(string Label, IReadOnlyList<double> X, IReadOnlyList<double> Y);

/// <summary>One named group of bars (one bar per category).</summary>
public sealed record BarGroup(string Label, IReadOnlyList<double> Values);

/// <summary>PNG charts for training curves, run reports and split previews; one place so every figure looks alike.</summary>
public static class PlotWriter
{
    public const int Width = 900;
    public const int Height = 500;

    /// <summary>Writes a line chart; points with a NaN y are left out so partial curves still draw.</summary>
    public static void Lines(string path, string title, string xLabel, string yLabel, IEnumerable<PlotSeries> series)
    {
        using var plot = new Plot();
        foreach (var line in series)
        {
            if (line.X.Count != line.Y.Count) throw new ArgumentException($"series '{line.Label}': {line.X.Count} x values but {line.Y.Count} y values");
            var points = line.X.Zip(line.Y).Where(p => double.IsFinite(p.Second)).ToArray();
            if (points.Length == 0) continue;
            var scatter = plot.Add.Scatter(points.Select(p => p.First).ToArray(), points.Select(p => p.Second).ToArray());
            scatter.LegendText = line.Label;
            scatter.MarkerSize = points.Length > 60 ? 0 : 4;
        }
        Finish(plot, path, title, xLabel, yLabel);
    }

    /// <summary>Writes a stacked bar chart: one bar per category, one stack segment per group (e.g. labels per client).</summary>
    public static void StackedBars(string path, string title, string xLabel, string yLabel, IReadOnlyList<string> categories, IEnumerable<BarGroup> groups)
    {
        using var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        var baseline = new double[categories.Count];
        int colour = 0;
        foreach (var group in groups)
        {
            if (group.Values.Count != categories.Count) throw new ArgumentException($"bar group '{group.Label}': {group.Values.Count} values for {categories.Count} categories");
            var color = palette.GetColor(colour++);
            var bars = new List<Bar>();
            for (int i = 0; i < categories.Count; i++)
            {
                bars.Add(new Bar { Position = i, ValueBase = baseline[i], Value = baseline[i] + group.Values[i], FillColor = color });
                baseline[i] += group.Values[i];
            }
            plot.Add.Bars(bars);
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = group.Label, FillColor = color });
        }
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, categories.Count).Select(i => (double)i).ToArray(), categories.ToArray());
        // Long category names (experiment arms) would run into each other: slant them and make room below the axis.
        int longest = categories.Count == 0 ? 0 : categories.Max(c => c.Length);
        if (longest * categories.Count > 90)
        {
            plot.Axes.Bottom.TickLabelStyle.Rotation = -40;
            plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleRight;
            plot.Axes.Bottom.MinimumSize = 7 * longest;
        }
        Finish(plot, path, title, xLabel, yLabel);
    }

    private static void Finish(Plot plot, string path, string title, string xLabel, string yLabel)
    {
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        plot.ShowLegend();
        string? directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null) Directory.CreateDirectory(directory);
        plot.SavePng(path, Width, Height);
    }
}
