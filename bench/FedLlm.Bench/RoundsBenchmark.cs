using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using FedLlm.Data.Demo;
using FedLlm.Federation.Client;
using FedLlm.Federation.Demo;
using FedLlm.Federation.Engine;
using FedLlm.Federation.Configuration;
using FedLlm.Federation.Runs;
using FedLlm.Federation.Splits;
using FedLlm.Models;
using FedLlm.Models.Presets;

namespace FedLlm.Bench;

/// <summary>
/// Simulation rounds against federation size: 10, 100 and 747 clients (a natural split with FedLLM-Bench Fed-ChatbotPA's
/// skew, about 13 records per client), SCAFFOLD with 10 clients sampled per round. Each size runs in its own child
/// process so peak RSS (VmHWM) belongs to that size alone. The peer is OpenFedLLM's layout, which deep-copies one LoRA
/// per client (research notes §6): N × adapter bytes resident, computed here next to the engine's measured peak.
/// </summary>
public static class RoundsBenchmark
{
    public const string ChildSuite = "rounds-one";
    private static readonly int[] DefaultSizes = [10, 100, 747];
    private const int ClientsPerRound = 10;
    private const int Rounds = 4;

    /// <summary>Parent: one child process per size, collected into one document. Args: optional sizes.</summary>
    public static JsonObject Run(string[] args)
    {
        int[] sizes = args.Length > 0 ? [.. args.Select(a => int.Parse(a, CultureInfo.InvariantCulture))] : DefaultSizes;
        var results = new JsonArray();
        foreach (int clients in sizes) results.Add(RunChild(clients));
        return new JsonObject
        {
            ["benchmark"] = "rounds",
            ["description"] = "Per-round time, bytes, peak RSS and on-disk state against client count; one child process per size",
            ["algorithm"] = "scaffold",
            ["clients_per_round"] = ClientsPerRound,
            ["rounds"] = Rounds,
            ["sizes"] = results,
        };
    }

    private static JsonNode RunChild(int clients) =>
        ChildBenchmark.Run(ChildSuite, [clients.ToString(CultureInfo.InvariantCulture)]);

    /// <summary>Child: one federation size in this process.</summary>
    public static JsonObject RunOne(string[] args)
    {
        int clients = int.Parse(args[0], CultureInfo.InvariantCulture);
        string temp = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "fedllm-bench-rounds", Guid.NewGuid().ToString("N"))).FullName;
        try
        {
            return Measure(clients, temp);
        }
        finally
        {
            Directory.Delete(temp, recursive: true);
        }
    }

    private static JsonObject Measure(int clients, string temp)
    {
        string modelDirectory = Directory.CreateDirectory(Path.Combine(temp, "model")).FullName;
        var corpus = DemoTasks.Generate(400, 1).SelectMany(e => e.Conversation.Turns.Select(t => t.Content)).Append("user assistant");
        RandomModel.Create(modelDirectory, ModelPreset.Get("small"), DemoTokenizer.Create(modelDirectory, corpus), seed: 1);
        var config = new RunConfig
        {
            Name = "bench",
            OutputDirectory = Path.Combine(temp, "runs"),
            Seed = 1,
            Model = new ModelSection { Path = modelDirectory },
            Data = new DataSection { Template = "chatml", HeldOutFraction = 0 },
            Evaluation = new EvaluationSection { MaxAccuracyExamples = 0 },
            Split = new SplitSection { Method = SplitMethods.Natural, Field = "client" },
            Lora = new LoraSection { Rank = 16, Alpha = 32, Dropout = 0.05, Targets = "all-linear" },
            Strategy = new StrategySection { Algorithm = "scaffold", ClientsPerRound = ClientsPerRound },
            Training = new TrainingSection { LearningRate = 5e-3, MaxSteps = 2, BatchSize = 2, MaxSequenceLength = 64 },
            Rounds = Rounds,
        };

        var records = SyntheticFederation.SkewedRecords(clients, (int)Math.Round(clients * SyntheticFederation.BenchRecordsPerClient), seed: 747);
        var data = RunData.Prepare(config, new RunRecords(records, null, null, []));
        var summary = SplitSummary.Create(data.Split);
        using var model = PretrainedModel.Load(modelDirectory);
        long baselineRss = ProcessMemory.PeakResidentBytes();
        var observer = new RoundRecorder();
        var result = Simulation.RunAsync(config, model, data, observer).GetAwaiter().GetResult();
        long peakRss = ProcessMemory.PeakResidentBytes();

        long adapterBytes = (long)result.Global!.Length * sizeof(float);
        double[] seconds = [.. observer.Rounds.Select(r => r.Seconds)];
        long[] bytes = [.. observer.Rounds.Select(r => r.BytesDown + r.BytesUp)];
        return new JsonObject
        {
            ["clients"] = clients,
            ["records"] = summary.RecordCount,
            ["records_per_client"] = new JsonObject
            {
                ["min"] = summary.MinSize, ["max"] = summary.MaxSize,
                ["mean"] = Math.Round(summary.MeanSize, 2), ["sd"] = Math.Round(summary.StandardDeviation, 2),
            },
            ["sampled_per_round"] = ClientsPerRound,
            ["adapter_parameters"] = result.Global.Length,
            ["adapter_bytes"] = adapterBytes,
            ["seconds_per_round"] = new JsonArray([.. seconds.Select(s => (JsonNode)Math.Round(s, 3))]),
            // The first round includes libtorch warm-up; the median of the rest is the steady state.
            ["seconds_per_round_median_after_first"] = Math.Round(Median(seconds.Skip(1)), 3),
            ["bytes_per_round"] = bytes.Max(),
            ["peak_rss_bytes"] = peakRss,
            ["rss_before_training_bytes"] = baselineRss,
            ["state_on_disk_bytes"] = DirectoryBytes(result.Run.ClientStateDirectory) + DirectoryBytes(result.Run.CheckpointsDirectory),
            ["client_state_files"] = Directory.GetFiles(result.Run.ClientStateDirectory, "*", SearchOption.AllDirectories).Length,
            ["peer_all_adapters_in_memory_bytes"] = clients * adapterBytes,
        };
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted[sorted.Length / 2];
    }

    private static long DirectoryBytes(string directory) =>
        Directory.Exists(directory) ? Directory.GetFiles(directory, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length) : 0;

    private sealed class RoundRecorder : IRunObserver
    {
        public List<RoundOutcome> Rounds { get; } = [];

        public void RoundCompleted(RoundOutcome outcome, JsonObject record, int totalRounds) => Rounds.Add(outcome);
    }
}
