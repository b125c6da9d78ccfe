using FedLlm.Federation.Client;
using FedLlm.Federation.Configuration;
using FedLlm.Federation.Reporting;
using FedLlm.Federation.Runs;
using FedLlm.Models;

namespace FedLlm.Federation.Demo;

/// <summary>One row of the demo's comparison: a client's held-out data scored by three models.</summary>
public sealed record DemoRow(string Client, int Examples, ClientScore Base, ClientScore LocalAverage, ClientScore Federated);

/// <param name="ReportFile">The federated run's report.md, with the base and local-only columns next to FedAvg.</param>
public sealed record DemoReport(IReadOnlyList<DemoRow> Rows, string FederatedRun, string LocalRun, string BaseModel, TimeSpan Elapsed, string ReportFile);

/// <summary>
/// The built-in demo: a tiny base model (built once and cached), the five demo tasks skewed across eight clients by a
/// Dirichlet split, then federated LoRA fine-tuning (FedAvg) against the local-only baseline, both scored on every
/// client's held-out data next to the untouched base model.
/// </summary>
public sealed class DemoRunner(string outputDirectory, string cacheDirectory, IRunObserver? observer = null)
{
    public const ulong Seed = 7;

    public static RunConfig Config(string outputDirectory, string algorithm, string name, string modelPath) => new()
    {
        Name = name,
        OutputDirectory = outputDirectory,
        Seed = Seed,
        Rounds = 26,
        Model = new ModelSection { Path = modelPath },
        Data = new DataSection { Template = "chatml", DemoRecords = 1400, HeldOutFraction = 0.15 },
        Split = new SplitSection { Method = "dirichlet", Clients = 8, Alpha = 0.3, Field = "category" },
        Lora = new LoraSection { Rank = 16, Alpha = 32, Dropout = 0.0, Targets = "all-linear" },
        Strategy = new StrategySection { Algorithm = algorithm },
        Training = new TrainingSection { LearningRate = 3e-3, MinLearningRate = 3e-4, Schedule = "cosine", MaxSteps = 15, BatchSize = 8, MaxSequenceLength = 96, MaxGradNorm = 1.0 },
        Evaluation = new EvaluationSection { Every = 0, MaxAccuracyExamples = 16, BaseModel = algorithm == "fedavg" },
    };

    public async Task<DemoReport> RunAsync(CancellationToken cancellation = default)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        string baseModel = DemoBaseModel.Ensure(cacheDirectory, observer);

        RunResult federated, local;
        observer?.Message("Federated LoRA fine-tuning (FedAvg, 8 clients)...");
        federated = await RunAsync(Config(outputDirectory, "fedavg", "demo-fedavg", baseModel), cancellation);
        observer?.Message("Local-only baseline (each client alone)...");
        local = await RunAsync(Config(outputDirectory, "local", "demo-local", baseModel), cancellation);

        string report = WriteComparisonReport(federated, local);

        var split = Splits.ClientSplit.Load(federated.Run.SplitFile);
        var rows = federated.FinalScores.Select((f, i) => new DemoRow(
            split.NameOf(f.ClientId), f.Examples, federated.Base!.Scores[i], local.FinalScores[i], f)).ToList();
        return new DemoReport(rows, federated.Run.Path, local.Run.Path, baseModel, clock.Elapsed, report);
    }

    private async Task<RunResult> RunAsync(RunConfig config, CancellationToken cancellation)
    {
        config.ThrowIfInvalid(RunPurpose.Simulate);
        var data = RunData.Prepare(config, RunRecords.Load(config));
        using var model = PretrainedModel.Load(config.Model.Path!);
        // The demo's folders are its own: each invocation replaces the previous demo's records.
        return await Simulation.RunAsync(config, model, data, observer, StartMode.Replace, cancellation);
    }

    /// <summary>
    /// Adds the local-only run's final scores to the federated run's metrics, so its report (and a later
    /// <c>fedllm report</c>) shows base, local-only and federated side by side; returns the report's path.
    /// </summary>
    public static string WriteComparisonReport(RunResult federated, RunResult local)
    {
        ArgumentNullException.ThrowIfNull(federated);
        ArgumentNullException.ThrowIfNull(local);
        int round = local.Run.ReadMetrics().Where(m => m["type"]?.GetValue<string>() == RunMetrics.RoundType)
            .Select(m => m["round"]!.GetValue<int>()).DefaultIfEmpty(0).Max();
        federated.Run.AppendMetrics(RunMetrics.Evaluation(round, RunMetrics.LocalOnlyModel, local.FinalScores, local.Final?.Test));
        return RunReport.Write(federated.Run);
    }
}
