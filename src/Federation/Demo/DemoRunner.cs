using FedLlm.Data.Demo;
using FedLlm.Federation.Client;
using FedLlm.Federation.Reporting;
using FedLlm.Federation.Simulation;
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
public sealed class DemoRunner(string outputDirectory, string cacheDirectory, ISimulationObserver? observer = null)
{
    public const ulong Seed = 7;

    public static SimulationConfig Config(string outputDirectory, string algorithm, string name) => new()
    {
        Name = name,
        OutputDirectory = outputDirectory,
        Seed = Seed,
        Model = new ModelSection { Path = "(demo base)" },
        Data = new DataSection { Template = "chatml", DemoRecords = 1400, HeldOutFraction = 0.15, MaxAccuracyExamplesPerClient = 16 },
        Split = new SplitSection { Method = "dirichlet", Clients = 8, Alpha = 0.3, Field = "category" },
        Lora = new LoraSection { Rank = 16, Alpha = 32, Dropout = 0.0, Targets = "all-linear" },
        Strategy = new StrategySection { Algorithm = algorithm, LearningRate = 3e-3, MinLearningRate = 3e-4, Schedule = "cosine" },
        Local = new LocalTrainingOptions { LocalSteps = 15, BatchSize = 8, MaxSequenceLength = 96, MaxGradNorm = 1.0 },
        Rounds = 26,
        EvaluateEvery = 0,
    };

    public async Task<DemoReport> RunAsync(CancellationToken cancellation = default)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        string baseModel = DemoBaseModel.Ensure(cacheDirectory, observer);
        var examples = DemoTasks.Generate(1400, Seed);

        SimulationResult federated, local;
        using (var model = PretrainedModel.Load(baseModel))
        {
            observer?.Message("Federated LoRA fine-tuning (FedAvg, 8 clients)...");
            federated = await new SimulationRunner(Config(outputDirectory, "fedavg", "demo-fedavg") with { Model = new ModelSection { Path = baseModel } },
                model, examples, observer).RunAsync(resume: false, evaluateBase: true, cancellation);
        }
        using (var model = PretrainedModel.Load(baseModel))
        {
            observer?.Message("Local-only baseline (each client alone)...");
            local = await new SimulationRunner(Config(outputDirectory, "local", "demo-local") with { Model = new ModelSection { Path = baseModel } },
                model, examples, observer).RunAsync(resume: false, evaluateBase: false, cancellation);
        }

        string report = WriteComparisonReport(federated, local);

        var split = Splits.ClientSplit.Load(federated.Run.SplitFile);
        var rows = federated.FinalScores.Select((f, i) => new DemoRow(
            split.NameOf(f.ClientId), f.Examples, federated.BaseScores![i], local.FinalScores[i], f)).ToList();
        return new DemoReport(rows, federated.Run.Path, local.Run.Path, baseModel, clock.Elapsed, report);
    }

    /// <summary>
    /// Adds the local-only run's final scores to the federated run's metrics, so its report (and a later
    /// <c>fedllm report</c>) shows base, local-only and federated side by side; returns the report's path.
    /// </summary>
    public static string WriteComparisonReport(SimulationResult federated, SimulationResult local)
    {
        ArgumentNullException.ThrowIfNull(federated);
        ArgumentNullException.ThrowIfNull(local);
        int round = local.Run.ReadMetrics().Where(m => m["type"]?.GetValue<string>() == RunMetrics.RoundType)
            .Select(m => m["round"]!.GetValue<int>()).DefaultIfEmpty(0).Max();
        federated.Run.AppendMetrics(RunMetrics.Evaluation(round, RunMetrics.LocalOnlyModel, local.FinalScores, local.FinalTest));
        return RunReport.Write(federated.Run);
    }
}
