using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using FedLlm.Cli.Configuration;
using FedLlm.Cli.Output;
using FedLlm.Federation.Benchmark;
using FedLlm.Federation.Configuration;
using FedLlm.Federation.Runs;
using FedLlm.Models;

namespace FedLlm.Cli.Commands;

/// <summary>
/// <c>fedllm bench --matrix FILE</c>: every cell of a methods × datasets × seeds matrix as a normal simulated run folder,
/// one after another, resumable (finished cells are skipped, an interrupted one resumes from its checkpoint), then one
/// results table per metric (results.md, results.json, results.html).
/// </summary>
public static class BenchCommand
{
    public static Command Build()
    {
        var command = new Command("bench", "Run a methods × datasets × seeds benchmark matrix (resumable) and write its results tables");
        var matrixFile = new Option<FileInfo>("--matrix", "-m") { Description = "The matrix's YAML file (see docs/benchmark.md)", Required = true };
        var reportOnly = new Option<bool>("--report-only") { Description = "Write the results from the cells finished so far without running any" };
        command.Add(matrixFile);
        command.Add(reportOnly);
        command.SetAction(async (parse, cancellation) =>
        {
            var matrix = ConfigLoader.Load<BenchMatrix>(parse.GetRequiredValue(matrixFile).FullName, []);
            var problems = matrix.Validate();
            if (problems.Count > 0) throw new ArgumentException("invalid matrix: " + string.Join("; ", problems));
            var runner = new BenchRunner(matrix);
            if (!parse.GetValue(reportOnly))
            {
                // Every cell's config is read and checked (and its memory estimated) before the first one runs.
                var configs = matrix.Cells().ToDictionary(c => c.Name, c => CellConfig(matrix, runner, c));
                CheckMemory(matrix, configs);
                await runner.RunAsync((cell, token) => RunCellAsync(configs[cell.Name], runner.IsFinished(cell), token), ConsoleOutput.Info, cancellation);
            }
            var results = BenchResults.Collect(matrix);
            Console.Out.Write(BenchReport.Write(results));
            ConsoleOutput.Info($"Results: {Path.GetFullPath(Path.Combine(matrix.Directory, BenchReport.HtmlFile))}");
            return 0;
        });
        return command;
    }

    /// <summary>The cell's run config: the base file with the cell's overrides, named after the cell and placed in its folder.</summary>
    private static RunConfig CellConfig(BenchMatrix matrix, BenchRunner runner, BenchCell cell)
    {
        string folder = runner.CellDirectory(cell);
        var overrides = cell.Overrides.Concat([$"name={cell.Name}", $"output_directory={Path.GetDirectoryName(Path.GetFullPath(folder))}"]);
        RunConfig config;
        try
        {
            config = RunConfigFile.Load(matrix.Base, overrides).Run;
            config.ThrowIfInvalid(RunPurpose.Simulate);
        }
        catch (Exception e) when (e is ArgumentException or InvalidDataException)
        {
            throw new ArgumentException($"cell {cell.Name}: {e.Message}", e);
        }
        var saved = Path.Combine(folder, "config.json");
        if (File.Exists(saved) && !JsonNode.DeepEquals(JsonNode.Parse(File.ReadAllText(saved)), RunConfigJson.ToJson(config)))
            throw new ArgumentException($"cell {cell.Name}: {folder} holds a run of another config (the matrix changed since it ran); delete that folder to run the cell anew");
        return config;
    }

    private static void CheckMemory(BenchMatrix matrix, IReadOnlyDictionary<string, RunConfig> configs)
    {
        if (matrix.MemoryBudgetGb is not double budget) return;
        foreach (var (name, config) in configs)
        {
            if (CellMemory.EstimateBytes(config) is not long bytes) continue;
            double gib = bytes / (double)(1L << 30);
            if (gib > budget)
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"cell {name} needs about {gib:F1} GiB (estimate), more than memory_budget_gb {budget}: lower its batch size, sequence length or LoRA rank, or raise the budget"));
        }
    }

    /// <summary>One cell: data checked and split, the model loaded, the simulation run with resume on (a fresh start when nothing was saved).</summary>
    private static async Task RunCellAsync(RunConfig config, bool finished, CancellationToken cancellation)
    {
        if (finished) return;
        var data = SimulateCommand.PrepareData(config, RunPurpose.Simulate);
        using var model = PretrainedModel.Load(config.Model.Path!, WeightDtypes.Names.Parse(config.Model.Dtype, "model.dtype"));
        await Simulation.RunAsync(config, model, data, new ConsoleRunObserver(), StartMode.Resume, cancellation);
    }
}
