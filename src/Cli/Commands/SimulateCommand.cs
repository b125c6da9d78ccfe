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
        command.Add(config);
        var set = ConfigFlags.Enable(command);
        command.Add(resume);
        command.SetAction(async (parse, cancellation) =>
        {
            var runDir = parse.GetValue(resume);
            var simulation = runDir is not null ? SavedConfig(runDir) : ConfigLoader.Load<SimulationConfig>(parse.GetValue(config)?.FullName, ConfigFlags.Collect(parse, set));

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
        var loaded = DatasetLoader.Load<InstructionExample>(data.Path, new DatasetLoadOptions { RecordFormat = format });
        if (loaded.Report.Skipped > 0) ConsoleOutput.Info($"{data.Path}: skipped {loaded.Report.Skipped} malformed rows");
        return loaded.Examples;
    }
}
