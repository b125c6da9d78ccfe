using System.CommandLine;
using FedLlm.Cli.Configuration;
using FedLlm.Cli.Output;
using FedLlm.Data.Loading;
using FedLlm.Federation.Configuration;
using FedLlm.Federation.Runs;
using FedLlm.Models;

namespace FedLlm.Cli.Commands;

/// <summary><c>fedllm simulate --config FILE [--key value | --set key=value]... [--resume RUN_DIR | --overwrite]</c>.</summary>
public static class SimulateCommand
{
    public static Command Build()
    {
        var command = new Command("simulate", "Run federated fine-tuning with N clients in one process (YAML config; every key also a flag, e.g. --rounds 20)");
        var config = new Option<FileInfo?>("--config", "-c") { Description = "The run's YAML config (see docs/configuration.md); a deployment's file runs as it is" };
        var resume = new Option<DirectoryInfo?>("--resume") { Description = "Continue a killed run from its newest checkpoint (uses the run's saved config)" };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace an earlier run's records in the run folder (otherwise a checkpointed run there is refused)" };
        var onBadRow = BadRowOption();
        command.Add(config);
        command.Add(onBadRow);
        var set = ConfigFlags.Enable(command);
        command.Add(resume);
        command.Add(overwrite);
        command.SetAction(async (parse, cancellation) =>
        {
            var runDir = parse.GetValue(resume);
            var run = runDir is not null ? SavedConfig(runDir) : RunConfigFile.Load(parse.GetValue(config)?.FullName, Overrides(parse, set, onBadRow)).Run;

            if (runDir is not null && parse.GetValue(overwrite)) throw new ArgumentException("--resume and --overwrite exclude each other");
            var mode = runDir is not null ? StartMode.Resume : parse.GetValue(overwrite) ? StartMode.Replace : StartMode.New;

            // Everything that can be checked without the model is checked first: config, run folder, data, split, strategy vs clients.
            run.ThrowIfInvalid(RunPurpose.Simulate);
            if (FederatedRun.CheckFolder(run, new RunDirectory(run.RunDirectory), mode) is [var problem, ..]) throw new RunFolderException(problem);
            var data = PrepareData(run, RunPurpose.Simulate);
            using var model = PretrainedModel.Load(run.Model.Path!, WeightDtypes.Names.Parse(run.Model.Dtype, "model.dtype"));
            var result = await Simulation.RunAsync(run, model, data, new ConsoleRunObserver(), mode, cancellation);
            if (RunOutcome.NothingAggregated(run, result) is { } nothing)
            {
                ConsoleOutput.Info($"error: {nothing}");
                return 1;
            }
            ConsoleOutput.Info($"Run folder: {result.Run.Path}");
            ConsoleOutput.Info($"Global adapter (PEFT format): {result.Run.FinalAdapterDirectory}");
            ConsoleOutput.Info($"Metrics: {result.Run.MetricsFile}");
            ConsoleOutput.Info($"Report: {result.ReportFile}");
            return 0;
        });
        return command;
    }

    /// <summary><c>--on-bad-row skip|fail</c>, a short form of <c>--data.on_bad_row</c>.</summary>
    internal static Option<string?> BadRowOption() => new Option<string?>("--on-bad-row")
    {
        Description = "What to do with a malformed data row: skip it (reported and counted) or fail naming file and line (same as --data.on-bad-row)",
    }.AcceptOnlyFromAmong([.. BadRowPolicies.Names.Names]);

    /// <summary>Config overrides from --set, config-key flags and --on-bad-row (which wins, being the most specific).</summary>
    internal static IReadOnlyList<string> Overrides(ParseResult parse, Option<string[]> set, Option<string?> onBadRow)
    {
        var overrides = new List<string>(ConfigFlags.Collect(parse, set));
        if (parse.GetValue(onBadRow) is { } policy) overrides.Add("data.on_bad_row=" + policy);
        return overrides;
    }

    /// <summary>The config saved in a run folder, pointed back at that folder wherever it now lives.</summary>
    private static RunConfig SavedConfig(DirectoryInfo runDir) =>
        RunConfigJson.Read(Path.Combine(runDir.FullName, "config.json")) with { OutputDirectory = runDir.Parent?.FullName ?? ".", Name = runDir.Name };

    /// <summary>Validates the config, loads the records (and any eval/test files) and splits them: no model needed.</summary>
    internal static RunData PrepareData(RunConfig run, RunPurpose purpose)
    {
        run.ThrowIfInvalid(purpose);
        var records = LoadRecords(run);
        return RunData.Prepare(run, records);
    }

    /// <summary>The run's records, with one summary line per file read.</summary>
    internal static RunRecords LoadRecords(RunConfig run)
    {
        var records = RunRecords.Load(run);
        foreach (var report in records.Reports) LoadReportOutput.Print(report);
        return records;
    }
}
