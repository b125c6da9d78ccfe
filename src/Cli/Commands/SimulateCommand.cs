using System.CommandLine;
using FedLlm.Cli.Configuration;
using FedLlm.Cli.Output;
using FedLlm.Data.Demo;
using FedLlm.Data.Loading;
using FedLlm.Data.Model;
using FedLlm.Federation.Simulation;
using FedLlm.Models;

namespace FedLlm.Cli.Commands;

/// <summary><c>fedllm simulate --config FILE [--key value | --set key=value]... [--resume RUN_DIR]</c>.</summary>
public static class SimulateCommand
{
    public static Command Build()
    {
        var command = new Command("simulate", "Run federated fine-tuning with N clients in one process (YAML config; every key also a flag, e.g. --rounds 20)");
        var config = new Option<FileInfo?>("--config", "-c") { Description = "YAML config (snake_case keys; see docs/simulation.md)" };
        var resume = new Option<DirectoryInfo?>("--resume") { Description = "Continue a killed run from its newest checkpoint (uses the run's saved config)" };
        var onBadRow = BadRowOption();
        command.Add(config);
        command.Add(onBadRow);
        var set = ConfigFlags.Enable(command);
        command.Add(resume);
        command.SetAction(async (parse, cancellation) =>
        {
            var runDir = parse.GetValue(resume);
            // A deployment config (with server:/client: sections) simulates as is: the same run, in one process.
            var simulation = runDir is not null ? SavedConfig(runDir)
                : ConfigLoader.Load<SimulationConfig>(parse.GetValue(config)?.FullName, Overrides(parse, set, onBadRow), "server", "client");

            // Everything that can be checked without the model is checked first: config, data, split, strategy vs clients.
            var data = PrepareData(simulation);
            using var model = PretrainedModel.Load(simulation.Model.Path
                ?? throw new ArgumentException("model.path is required (create one with `fedllm init` or `fedllm convert`)"),
                ModelOptions.ParseDType(simulation.Model.DType));
            var observer = new ConsoleSimulationObserver();
            var result = await new SimulationRunner(simulation, model, data, observer)
                .RunAsync(resume: runDir is not null, evaluateBase: false, cancellation);
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
    }.AcceptOnlyFromAmong(BadRowPolicyNames.Skip, BadRowPolicyNames.Fail);

    /// <summary>Config overrides from --set, config-key flags and --on-bad-row (which wins, being the most specific).</summary>
    internal static IReadOnlyList<string> Overrides(ParseResult parse, Option<string[]> set, Option<string?> onBadRow)
    {
        var overrides = new List<string>(ConfigFlags.Collect(parse, set));
        if (parse.GetValue(onBadRow) is { } policy) overrides.Add("data.on_bad_row=" + policy);
        return overrides;
    }

    /// <summary>The config saved in a run folder, pointed back at that folder wherever it now lives.</summary>
    private static SimulationConfig SavedConfig(DirectoryInfo runDir)
    {
        string saved = Path.Combine(runDir.FullName, "config.json");
        if (!File.Exists(saved)) throw new FileNotFoundException($"{runDir.FullName}: not a run folder (config.json missing)", saved);
        var simulation = SimulationConfigJson.FromJson(File.ReadAllText(saved));
        return simulation with { OutputDirectory = runDir.Parent?.FullName ?? ".", Name = runDir.Name };
    }

    /// <summary>Validates the config, loads the records (and the global test file) and splits them: no model needed.</summary>
    internal static SimulationData PrepareData(SimulationConfig simulation)
    {
        simulation.ThrowIfInvalid();
        var examples = LoadExamples(simulation.Data);
        var test = simulation.Data.TestPath is null ? null : LoadExamples(simulation.Data with { Path = simulation.Data.TestPath });
        return SimulationData.Prepare(simulation, examples, test);
    }

    internal static IReadOnlyList<InstructionExample> LoadExamples(DataSection data)
    {
        if (data.Path is null) return DemoTasks.Generate(data.DemoRecords, 7);
        var format = Enum.TryParse<Data.Formats.RecordFormat>(data.Format, ignoreCase: true, out var parsed)
            ? parsed
            : throw new ArgumentException($"unknown data format '{data.Format}' (valid: {string.Join(", ", Enum.GetNames<Data.Formats.RecordFormat>())})");
        var loaded = DatasetLoader.Load<InstructionExample>(data.Path, new DatasetLoadOptions
        {
            RecordFormat = format,
            BadRows = BadRowPolicyNames.Parse(data.OnBadRow, "data.on_bad_row"),
        });
        LoadReportOutput.Print(loaded.Report);
        return loaded.Examples;
    }
}
