using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using FedLlm.Foundation.Storage;

namespace FedLlm.Federation.Benchmark;

/// <summary>
/// Runs a matrix's cells one after another, each into its own run folder under <c>cells/</c>. A cell is finished when
/// its <see cref="MarkerFile"/> exists (written last, atomically), so a killed matrix re-run skips finished cells, resumes
/// the interrupted one from its newest checkpoint and runs the rest. The runner knows nothing of how a cell trains: the
/// caller runs it (a simulation with resume on).
/// </summary>
public sealed class BenchRunner(BenchMatrix matrix)
{
    public const string MarkerFile = "bench-cell.json";

    public string CellsDirectory => Path.Combine(matrix.Directory, "cells");

    public string CellDirectory(BenchCell cell) => Path.Combine(CellsDirectory, cell.Name);

    public bool IsFinished(BenchCell cell) => File.Exists(Path.Combine(CellDirectory(cell), MarkerFile));

    /// <param name="runCell">Runs one cell into its folder (resuming whatever an earlier attempt left there).</param>
    /// <param name="log">One line per cell: skipped, started, finished.</param>
    public async Task RunAsync(Func<BenchCell, CancellationToken, Task> runCell, Action<string> log, CancellationToken cancellation = default)
    {
        var cells = matrix.Cells();
        for (int i = 0; i < cells.Count; i++)
        {
            var cell = cells[i];
            string step = $"[{i + 1}/{cells.Count}] {cell.Name}";
            if (IsFinished(cell))
            {
                log($"{step}: finished earlier, skipped");
                continue;
            }
            cancellation.ThrowIfCancellationRequested();
            bool resuming = Directory.Exists(CellDirectory(cell));
            log($"{step}: {(resuming ? "resuming" : "running")}");
            bool ownPeak = PeakMemory.Reset();
            var clock = Stopwatch.StartNew();
            await runCell(cell, cancellation);
            long? peak = PeakMemory.Bytes();
            var marker = new JsonObject
            {
                ["cell"] = cell.Name,
                ["method"] = cell.Method,
                ["dataset"] = cell.Dataset,
                ["seed"] = cell.Seed,
                ["seconds"] = Math.Round(clock.Elapsed.TotalSeconds, 2),
                ["resumed"] = resuming,
                // Without a reset the peak is the process's, which an earlier cell may have set.
                ["peak_memory_mib"] = peak is long bytes && ownPeak ? Math.Round(bytes / 1048576.0, 1) : null,
                ["finished"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
            };
            AtomicFile.Write(Path.Combine(CellDirectory(cell), MarkerFile), Encoding.UTF8.GetBytes(marker.ToJsonString()));
            log($"{step}: finished in {clock.Elapsed.TotalSeconds:F1} s");
        }
    }
}
