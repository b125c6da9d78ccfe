using System.Text.Json.Nodes;
using FedLlm.Data.Demo;
using FedLlm.Federation.Client;
using FedLlm.Federation.Demo;
using FedLlm.Federation.Configuration;
using FedLlm.Federation.Runs;
using FedLlm.Models;
using FedLlm.Models.Presets;
using FedLlm.Privacy.Accounting;
using FedLlm.Tests.Infrastructure;

namespace FedLlm.Tests.Privacy;

public class PrivateSimulationTests
{
    private static string TinyModel(TempDirectory temp)
    {
        string directory = Directory.CreateDirectory(temp.File("model")).FullName;
        var corpus = DemoTasks.Generate(300, 1).SelectMany(e => e.Conversation.Turns.Select(t => t.Content));
        var tokenizer = DemoTokenizer.Create(directory, corpus);
        RandomModel.Create(directory, ModelPreset.Get("tiny"), tokenizer, 3);
        return directory;
    }

    private static RunConfig Config(TempDirectory temp, string model, string name, PrivacySection privacy) => new()
    {
        Name = name,
        OutputDirectory = temp.File("runs"),
        Seed = 5,
        Model = new ModelSection { Path = model },
        Data = new DataSection { Template = "chatml", DemoRecords = 160, HeldOutFraction = 0.2 },
        Split = new SplitSection { Method = "iid", Clients = 4 },
        Lora = new LoraSection { Rank = 4, Alpha = 8, Dropout = 0, Targets = "q_proj,v_proj" },
        Strategy = new StrategySection { Algorithm = "fedavg", ClientsPerRound = 2 },
        Training = new TrainingSection { LearningRate = 5e-3, Schedule = "constant", MaxSteps = 3, BatchSize = 4, MaxSequenceLength = 64 },
        Evaluation = new EvaluationSection { MaxAccuracyExamples = 0 },
        Rounds = 3,
        Privacy = privacy,
    };

    private static async Task<List<JsonObject>> RunAsync(RunConfig config) => (await RunFullyAsync(config)).Run.ReadMetrics().ToList();

    private static async Task<RunResult> RunFullyAsync(RunConfig config)
    {
        config.ThrowIfInvalid(RunPurpose.Simulate);
        var data = RunData.Prepare(config, RunRecords.Load(config));
        using var model = PretrainedModel.Load(config.Model.Path!);
        return await Simulation.RunAsync(config, model, data);
    }

    private static List<double> RoundEpsilons(IEnumerable<JsonObject> metrics) =>
        metrics.Where(m => m["type"]!.GetValue<string>() == "round").Select(m => m["epsilon"]!.GetValue<double>()).ToList();

    [Fact]
    public async Task Dp_sgd_run_reports_a_finite_growing_epsilon_and_its_utility_cost()
    {
        using var temp = new TempDirectory();
        string model = TinyModel(temp);
        var plain = Config(temp, model, "plain", new PrivacySection());
        await RunAsync(plain);

        var metrics = await RunAsync(Config(temp, model, "dp-sgd", new PrivacySection
        {
            Mode = "dp_sgd", NoiseMultiplier = 1.0, ClipNorm = 1.0, Delta = 1e-5,
            CompareWith = Path.Combine(plain.OutputDirectory, "plain"),
        }));

        var rounds = metrics.Where(m => m["type"]!.GetValue<string>() == "round").ToList();
        var epsilons = RoundEpsilons(metrics);
        Assert.Equal(3, epsilons.Count);
        Assert.All(epsilons, e => Assert.True(double.IsFinite(e) && e > 0, $"ε = {e}"));
        Assert.True(epsilons[1] >= epsilons[0] && epsilons[2] >= epsilons[1], string.Join(", ", epsilons));
        Assert.True(epsilons[2] > epsilons[0], "a client that trains again spends more");
        Assert.All(rounds, r =>
        {
            Assert.Equal("dp_sgd", r["privacy_mode"]!.GetValue<string>());
            Assert.Equal(1e-5, r["delta"]!.GetValue<double>());
            Assert.Equal(1.0, r["noise_multiplier"]!.GetValue<double>());
            var perClient = r["client_privacy"]!.AsObject();
            Assert.Equal(2, perClient.Count);
            Assert.True(perClient.Select(c => c.Value!["epsilon"]!.GetValue<double>()).Max() <= r["epsilon"]!.GetValue<double>());
        });
        // Each client's ε composes all its steps so far: (σ, q_i) × 3 local steps × rounds joined.
        var last = rounds[^1]["client_privacy"]!.AsObject().First();
        var client = last.Value!;
        var expected = new RdpAccountant();
        expected.Record(1.0, client["sample_rate"]!.GetValue<double>(), client["steps"]!.GetValue<long>());
        Assert.Equal(expected.GetEpsilon(1e-5), client["epsilon"]!.GetValue<double>(), 1e-9);
        Assert.Equal(0, client["steps"]!.GetValue<long>() % 3);

        var summary = metrics.Single(m => m["type"]!.GetValue<string>() == "privacy");
        Assert.Equal(epsilons[^1], summary["epsilon"]!.GetValue<double>());
        double privateLoss = summary["final_mean_held_out_loss"]!.GetValue<double>();
        double plainLoss = summary["non_private_mean_held_out_loss"]!.GetValue<double>();
        Assert.Equal(privateLoss - plainLoss, summary["utility_loss"]!.GetValue<double>(), 1e-12);
        Assert.True(double.IsFinite(privateLoss) && double.IsFinite(plainLoss));

        // The run report shows the ε spent and the utility cost.
        string report = File.ReadAllText(Path.Combine(temp.Path, "runs", "dp-sgd", "report.md"));
        Assert.Contains("## Privacy", report);
        Assert.Contains($"| ε spent (whole run) | {epsilons[^1].ToString("G6", System.Globalization.CultureInfo.InvariantCulture)} |", report);
        Assert.Contains($"| utility loss (private − non-private) | {(privateLoss - plainLoss).ToString("G6", System.Globalization.CultureInfo.InvariantCulture)} |", report);
    }

    [Fact]
    public async Task Client_dp_run_calibrates_noise_for_the_target_and_reports_global_epsilon_per_round()
    {
        using var temp = new TempDirectory();
        string model = TinyModel(temp);
        var config = Config(temp, model, "client-dp", new PrivacySection
        {
            Mode = "client_dp", TargetEpsilon = 8.0, ClipNorm = 0.05, Delta = 1e-5,
        });
        var metrics = await RunAsync(config);

        var epsilons = RoundEpsilons(metrics);
        Assert.Equal(3, epsilons.Count);
        Assert.True(epsilons[0] > 0 && epsilons[1] > epsilons[0] && epsilons[2] > epsilons[1], string.Join(", ", epsilons));
        Assert.InRange(epsilons[2], 8.0 - 1e-3, 8.0); // calibrated for the whole run: the last round lands on the target
        var round = metrics.First(m => m["type"]!.GetValue<string>() == "round");
        double z = round["noise_multiplier"]!.GetValue<double>();
        Assert.Equal(NoiseCalibration.NoiseForEpsilon(8.0, 1e-5, 0.5, 3), z);
        Assert.Equal(0.5, round["sample_rate"]!.GetValue<double>()); // q = 2 of 4 clients
        Assert.Equal(0.05, round["clip_norm"]!.GetValue<double>());

        var summary = metrics.Single(m => m["type"]!.GetValue<string>() == "privacy");
        Assert.Equal("client_dp", summary["privacy_mode"]!.GetValue<string>());
        Assert.False(summary["stopped_early"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Client_dp_budget_ends_the_run_before_it_is_exceeded()
    {
        using var temp = new TempDirectory();
        string model = TinyModel(temp);
        // z = 1 at q = 0.5: ε after 1 round is below 5, after 2 rounds above it (checked below).
        double afterOne = NoiseCalibration.EpsilonForNoise(1.0, 1e-5, 0.5, 1), afterTwo = NoiseCalibration.EpsilonForNoise(1.0, 1e-5, 0.5, 2);
        double budget = (afterOne + afterTwo) / 2;
        var metrics = await RunAsync(Config(temp, model, "budget", new PrivacySection
        {
            Mode = "client_dp", NoiseMultiplier = 1.0, TargetEpsilon = budget, StopWhenExhausted = true, ClipNorm = 0.05,
        }));
        Assert.Equal([afterOne], RoundEpsilons(metrics));
        var summary = metrics.Single(m => m["type"]!.GetValue<string>() == "privacy");
        Assert.True(summary["stopped_early"]!.GetValue<bool>());
        Assert.Contains(metrics, m => m["type"]!.GetValue<string>() == "evaluation"); // the stopped run is still evaluated
    }

    /// <summary>
    /// DP noise comes from the OS CSPRNG: two runs with the same seed end differently, so nobody who knows the seed can
    /// regenerate the noise and subtract it. Only the explicit reproducible_noise setting (tests) makes them repeat.
    /// </summary>
    [Fact]
    public async Task Client_dp_noise_is_unpredictable_by_default_and_repeats_only_when_asked()
    {
        using var temp = new TempDirectory();
        string model = TinyModel(temp);
        PrivacySection Privacy(bool reproducible) => new() { Mode = "client_dp", NoiseMultiplier = 1.0, ClipNorm = 0.05, ReproducibleNoise = reproducible };
        RunConfig Short(string name, bool reproducible) => Config(temp, model, name, Privacy(reproducible)) with { Rounds = 1 };

        var secureA = await RunFullyAsync(Short("secure-a", false));
        var secureB = await RunFullyAsync(Short("secure-b", false));
        Assert.NotEqual(secureA.Global, secureB.Global);
        var seededA = await RunFullyAsync(Short("seeded-a", true));
        var seededB = await RunFullyAsync(Short("seeded-b", true));
        Assert.Equal(seededA.Global, seededB.Global);
        // The report says in its first lines that ε then protects nothing.
        string report = File.ReadAllText(seededA.ReportFile);
        Assert.Contains("ε does NOT hold", report.Split('\n').Take(4).Aggregate("", (a, l) => a + l));
        Assert.DoesNotContain("ε does NOT hold", File.ReadAllText(secureA.ReportFile));
    }

    [Fact]
    public void Invalid_privacy_sections_are_reported_before_training()
    {
        var config = new RunConfig { Model = new ModelSection { Preset = "tiny" } };
        IReadOnlyList<string> With(PrivacySection privacy, string algorithm = "fedavg") =>
            (config with { Privacy = privacy, Strategy = new StrategySection { Algorithm = algorithm } }).Validate(RunPurpose.Partition);
        Assert.Contains(With(new PrivacySection { Mode = "dp-xyz" }), p => p.Contains("privacy.mode"));
        Assert.Contains(With(new PrivacySection { Mode = "dp_sgd" }), p => p.Contains("noise_multiplier or target_epsilon"));
        Assert.Contains(With(new PrivacySection { Mode = "client_dp", NoiseMultiplier = 1, StopWhenExhausted = true }), p => p.Contains("needs privacy.target_epsilon"));
        Assert.Contains(With(new PrivacySection { Mode = "client_dp", NoiseMultiplier = 1 }, "scaffold"), p => p.Contains("scaffold"));
        Assert.Empty(With(new PrivacySection { Mode = "dp_sgd", TargetEpsilon = 3 }));
    }
}
