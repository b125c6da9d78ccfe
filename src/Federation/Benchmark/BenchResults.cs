using System.Text.Json.Nodes;
using FedLlm.Evaluation.Statistics;
using FedLlm.Federation.Runs;

namespace FedLlm.Federation.Benchmark;

/// <summary>One cell as the results see it: its identity, whether it finished, and each metric's value from its own files.</summary>
public sealed record BenchCellResult(BenchCell Cell, string Folder, bool Finished, IReadOnlyDictionary<string, double> Values, JsonObject? Marker);

/// <summary>One entry of a results table: the values over seeds, their mean and sample standard deviation.</summary>
public sealed record BenchEntry(IReadOnlyList<double> Values)
{
    public double Mean => Values.Count == 0 ? double.NaN : Values.Average();
    /// <summary>Sample standard deviation (n − 1); NaN below two seeds.</summary>
    public double StandardDeviation => Values.Count < 2 ? double.NaN : Math.Sqrt(Values.Sum(v => (v - Mean) * (v - Mean)) / (Values.Count - 1));
}

/// <summary>One table: a metric's entries by method (rows) and dataset (columns), with the best mean of each column.</summary>
public sealed record BenchTable(BenchMetric Metric, IReadOnlyList<string> Methods, IReadOnlyList<string> Datasets, BenchEntry[,] Entries)
{
    /// <summary>
    /// The rows holding the best mean of column <paramref name="dataset"/> (all of them on a tie); none when fewer than two
    /// means are finite or every mean is the same, since then nothing stands out.
    /// </summary>
    public IReadOnlySet<int> BestRows(int dataset) => Best.Rows([.. Enumerable.Range(0, Methods.Count).Select(m => Entries[m, dataset].Mean)], Metric.HigherIsBetter);
}

/// <summary>The matrix's results gathered from its cell folders: every cell's values and one table per metric.</summary>
public sealed record BenchResults(BenchMatrix Matrix, IReadOnlyList<BenchCellResult> Cells, IReadOnlyList<BenchTable> Tables)
{
    public static BenchResults Collect(BenchMatrix matrix)
    {
        var runner = new BenchRunner(matrix);
        var cells = matrix.Cells().Select(cell =>
        {
            string folder = runner.CellDirectory(cell);
            bool finished = runner.IsFinished(cell);
            var metrics = finished ? new RunDirectory(folder).ReadMetrics().ToList() : [];
            var values = finished ? BenchMetrics.Known.ToDictionary(k => k.Name, k => k.Read(metrics)) : new Dictionary<string, double>();
            var marker = finished ? JsonNode.Parse(File.ReadAllText(Path.Combine(folder, BenchRunner.MarkerFile))) as JsonObject : null;
            return new BenchCellResult(cell, folder, finished, values, marker);
        }).ToList();
        var chosen = matrix.Metrics.Count > 0
            ? matrix.Metrics.Select(BenchMetrics.Find)
            : BenchMetrics.Known.Where(k => cells.Any(c => c.Values.TryGetValue(k.Name, out double v) && double.IsFinite(v)));
        var methods = matrix.Methods.Select(m => m.Name).ToList();
        var datasets = matrix.Datasets.Select(d => d.Name).ToList();
        var tables = chosen.Select(metric =>
        {
            var entries = new BenchEntry[methods.Count, datasets.Count];
            for (int m = 0; m < methods.Count; m++)
                for (int d = 0; d < datasets.Count; d++)
                    entries[m, d] = new BenchEntry([.. cells.Where(c => c.Cell.Method == methods[m] && c.Cell.Dataset == datasets[d] && c.Finished)
                        .Select(c => c.Values[metric.Name]).Where(double.IsFinite)]);
            return new BenchTable(metric, methods, datasets, entries);
        }).ToList();
        return new BenchResults(matrix, cells, tables);
    }
}
