using System.Text.Json.Nodes;
using FedLlm.Federation.Client;
using FedLlm.Federation.Configuration;
using FedLlm.Federation.Runs;
using FedLlm.Models;

namespace FedLlm.Cli.Experiments;

/// <summary>
/// One arm of an experiment: a run of the one run driver (<c>fedllm simulate</c>'s path: validate, load, split, run),
/// in its own folder. Server-side fine-tuning on a synthetic dataset is a one-party run of the same driver.
/// </summary>
public static class ExperimentArms
{
    public static async Task<RunResult> RunAsync(RunConfig config, IRunObserver observer, CancellationToken cancellation)
    {
        config.ThrowIfInvalid(RunPurpose.Simulate);
        var data = RunData.Prepare(config, RunRecords.Load(config));
        using var model = PretrainedModel.Load(config.Model.Path!, WeightDtypes.Names.Parse(config.Model.Dtype, "model.dtype"));
        observer.Message($"== {config.Name}: {data.Clients.Count} client(s), {config.Rounds} round(s) ==");
        // An arm is recomputed from scratch each time the experiment runs (its cached generated data is what is reused).
        return await Simulation.RunAsync(config, model, data, observer, StartMode.Replace, cancellation);
    }

    /// <summary>A one-party run on <paramref name="dataPath"/> (no held-out slice, no synthesis stage, no privacy): tutors, server fine-tuning.</summary>
    public static RunConfig OneParty(RunConfig run, string name, string folder, string dataPath) => run with
    {
        Name = name,
        OutputDirectory = folder,
        Data = run.Data with { Path = dataPath, HeldOutFraction = 0, TestFraction = 0, EvalPath = null },
        Split = new SplitSection { Method = "iid", Clients = 1 },
        Strategy = new StrategySection(),
        Privacy = new PrivacySection(),
        U2s = new U2sSection(),
        Fedgc = new FedgcSection(),
        Attack = new AttackSection(),
        Defense = new DefenseSection(),
    };

    /// <summary>Mean held-out loss and accuracy over clients, and global test loss and accuracy, of a finished run's final model.</summary>
    public static double?[] Scores(EvaluationResult? result)
    {
        if (result is null) return [null, null, null, null];
        var (loss, accuracy) = ClientEvaluator.Mean(result.Scores);
        return [result.Test?.Loss, result.Test?.Accuracy, loss, accuracy];
    }

    /// <summary>Rows the clients' synthesis stage generated in a finished run (its <c>synthetic/client-*.json</c> summaries).</summary>
    public static int GeneratedRows(RunDirectory run) =>
        Directory.Exists(run.File("synthetic"))
            ? Directory.EnumerateFiles(run.File("synthetic"), "client-*.json").Sum(f => JsonNode.Parse(File.ReadAllText(f))?["generated_rows"]?.GetValue<int>() ?? 0)
            : 0;

    public static readonly string[] ScoreColumns = ["test loss", "test accuracy", "held-out loss", "held-out accuracy"];
}
