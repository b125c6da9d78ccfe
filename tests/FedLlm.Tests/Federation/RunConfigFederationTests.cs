using FedLlm.Federation.Configuration;
using FedLlm.Federation.Privacy;
using FedLlm.Federation.Reporting;
using FedLlm.Federation.Runs;
using FedLlm.Federation.Splits;
using FedLlm.Tests.Infrastructure;

namespace FedLlm.Tests.Federation;

/// <summary>
/// The checks that need the federation's size live in one place (<see cref="RunConfig.ValidateFederation"/>), every
/// other check in <see cref="RunConfig.Validate"/>, and nothing is said twice or for a command that does not use it.
/// </summary>
public class RunConfigFederationTests
{
    private static readonly RunConfig Tiny = new() { Model = new() { Preset = "tiny" } };

    /// <summary>A config every command accepts: a model folder and a data file that exist.</summary>
    private static RunConfig Deployable(TempDirectory temp)
    {
        File.WriteAllText(temp.File("d.jsonl"), "");
        return new RunConfig { Model = new() { Path = temp.Path }, Data = new() { Path = temp.File("d.jsonl") } };
    }

    [Fact]
    public void ClientLevelDpSamplesFromTheActiveMembersWhileScaffoldStillCountsEveryClient()
    {
        var config = Tiny with { Privacy = new() { Mode = "client_dp", NoiseMultiplier = 1 }, Strategy = new() { ClientsPerRound = 2 } };
        var strategy = Assert.IsType<DpFedAvgStrategy>(config.CreateStrategy(totalClients: 5, activeClients: 4));
        Assert.Equal(4, strategy.Privacy.TotalClients);
        Assert.Equal(0.5, strategy.Privacy.SampleRate); // 2 of the 4 that can be drawn, not 2 of 5
        Assert.Equal(5, strategy.Inner.Options.TotalClients);

        var everyone = Assert.IsType<DpFedAvgStrategy>((config with { Strategy = new() }).CreateStrategy(totalClients: 5, activeClients: 3));
        Assert.Equal(3, everyone.Privacy.ClientsPerRound); // m: all active members, the revoked ones are never sampled

        var calibrated = config with { Privacy = new() { Mode = "client_dp", TargetEpsilon = 4 } };
        var fewer = (DpFedAvgStrategy)calibrated.CreateStrategy(5, 3);
        var all = (DpFedAvgStrategy)calibrated.CreateStrategy(5, 5);
        Assert.True(fewer.Privacy.NoiseMultiplier > all.Privacy.NoiseMultiplier, "a larger q must be calibrated with more noise");
    }

    [Fact]
    public void TheServerNeedsNoDataFilesAndADeploymentIgnoresTheSimulationsClientCount()
    {
        using var temp = new TempDirectory();
        var config = Deployable(temp) with
        {
            Data = new() { Path = temp.File("missing.jsonl"), EvalPath = temp.File("missing-eval.jsonl"), TestPath = temp.File("missing-test.jsonl") },
            Split = new() { Method = "iid", Clients = 8 },
            Encryption = new() { Enabled = true, MaxClients = 2 },
        };
        Assert.Empty(config.Validate(RunPurpose.Serve));
        var join = config.Validate(RunPurpose.Join);
        Assert.Equal(3, join.Count); // only the member's own missing files: its round size is the server's business
        Assert.All(join, p => Assert.StartsWith("data.", p, StringComparison.Ordinal));
        Assert.Contains(config.Validate(RunPurpose.Simulate), p => p.StartsWith("encryption.max_clients (2) is below the 8 clients", StringComparison.Ordinal));

        var robust = Deployable(temp) with { Split = new() { Method = "iid", Clients = 2 }, Robust = new() { Rule = "krum" } };
        Assert.Empty(robust.Validate(RunPurpose.Join));
        Assert.Empty(robust.Validate(RunPurpose.Serve));
        Assert.Contains(robust.Validate(RunPurpose.Simulate), p => p.Contains("too large for Krum with 2 clients", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(-0.5, 5.0, "privacy.adaptive_learning_rate must be finite and >= 0")]
    [InlineData(double.PositiveInfinity, 5.0, "privacy.adaptive_learning_rate must be finite and >= 0")]
    [InlineData(0.2, double.NaN, "privacy.adaptive_count_noise must be finite and >= 0")]
    [InlineData(0.2, -1.0, "privacy.adaptive_count_noise must be finite and >= 0")]
    [InlineData(0.2, 0.3, "privacy.adaptive_count_noise must exceed z/2 = 0.5")]
    [InlineData(0.2, null, "privacy.adaptive_count_noise must exceed z/2 = 0.5 for adaptive clipping (z = 1, privacy.noise_multiplier); σ_b = 0.4 (the default m/20 with m = 8")]
    public void AdaptiveClippingSettingsAreCheckedBeforeTheModelLoads(double learningRate, double? countNoise, string expected)
    {
        var config = Tiny with
        {
            Split = new() { Method = "iid", Clients = 8 },
            Privacy = new() { Mode = "client_dp", NoiseMultiplier = 1, AdaptiveQuantile = 0.5, AdaptiveLearningRate = learningRate, AdaptiveCountNoise = countNoise },
        };
        var problems = config.Validate(RunPurpose.Simulate);
        Assert.Contains(problems, p => p.StartsWith(expected, StringComparison.Ordinal));
        Assert.Single(problems);
    }

    [Fact]
    public void ADefaultCountNoiseThatFitsTheServersCohortIsAcceptedAndOneThatDoesNotIsNamed()
    {
        using var temp = new TempDirectory();
        var config = Deployable(temp) with { Privacy = new() { Mode = "client_dp", NoiseMultiplier = 1, AdaptiveQuantile = 0.5 } };
        Assert.Empty(config.Validate(RunPurpose.Serve)); // the cohort is not known yet
        Assert.Empty(config.ValidateFederation(50, 50, "server.clients"));
        Assert.Contains("privacy.adaptive_count_noise", Assert.Single(config.ValidateFederation(10, 10, "server.clients")));
    }

    [Fact]
    public void MinClientsAboveTheRoundSizeNamesBothKeys()
    {
        var config = Tiny with { Strategy = new() { ClientsPerRound = 2 } };
        var problem = Assert.Single(config.ValidateFederation(totalClients: 5, activeClients: 4, "active members of server.clients", minClients: 3));
        Assert.StartsWith("server.min_clients (3) is larger than the 2 clients sampled per round (strategy.clients_per_round", problem);
        Assert.Empty(config.ValidateFederation(5, 4, "active members of server.clients", minClients: 2));
        // Every client each round: the active members bound it.
        Assert.Contains("server.min_clients (4) is larger than the 3 clients", Assert.Single(Tiny.ValidateFederation(5, 3, "server.clients", minClients: 4)));
        Assert.Contains("strategy.clients_per_round (5) is larger than the 4 clients (server.clients)",
            string.Join("\n", (Tiny with { Strategy = new() { ClientsPerRound = 5 } }).ValidateFederation(6, 4, "server.clients")));
    }

    [Fact]
    public void MembersOfAnEncryptedClientDpRunNeedAnExplicitRoundSizeWhenSomeAreRevoked()
    {
        var config = Tiny with
        {
            Encryption = new() { Enabled = true },
            Privacy = new() { Mode = "client_dp", NoiseMultiplier = 1, ClientSideNoise = true },
        };
        Assert.Contains("strategy.clients_per_round", Assert.Single(config.ValidateFederation(4, 3, "server.clients")));
        Assert.Empty(config.ValidateFederation(4, 4, "server.clients"));
        Assert.Empty((config with { Strategy = new() { ClientsPerRound = 3 } }).ValidateFederation(4, 3, "server.clients"));
    }

    [Theory]
    [InlineData("rounds", "rounds")]
    [InlineData("learning_rate", "training.learning_rate")]
    [InlineData("min_learning_rate", "training.min_learning_rate")]
    public void EveryProblemIsSaidOnce(string broken, string key)
    {
        using var temp = new TempDirectory();
        var valid = Deployable(temp);
        var config = broken switch
        {
            "rounds" => valid with { Rounds = 0 },
            "learning_rate" => valid with { Training = new() { LearningRate = 0, MinLearningRate = 0 } },
            _ => valid with { Training = new() { LearningRate = 1e-4, MinLearningRate = 1e-3 } },
        };
        foreach (var purpose in new[] { RunPurpose.Simulate, RunPurpose.Partition, RunPurpose.Serve, RunPurpose.Join })
            Assert.StartsWith(key, Assert.Single(config.Validate(purpose)));
    }

    [Fact]
    public void EnumerationsAreComparedAsParsedValuesNotAsText()
    {
        using var temp = new TempDirectory();
        var valid = Deployable(temp);
        var full = valid with { Trainable = "full", Model = valid.Model with { Dtype = " BFloat16 " } };
        Assert.Contains(full.Validate(RunPurpose.Train), p => p.StartsWith("trainable full needs model.dtype float32", StringComparison.Ordinal));
        var constant = full with { Trainable = "lora", Model = full.Model with { Dtype = "float32" }, Training = new() { Schedule = " Constant", LearningRate = 1e-4, MinLearningRate = 1e-3 } };
        Assert.Empty(constant.Validate(RunPurpose.Train)); // a constant rate has no floor to exceed
    }

    [Fact]
    public void TheReportDescribesASplitSpelledWithAnAlias()
    {
        using var temp = new TempDirectory();
        var run = new RunDirectory(temp.File("run"));
        run.StartFresh();
        var config = Tiny with { Split = new() { Method = "Quantity_Dirichlet", Alpha = 0.3, Clients = 2 } };
        run.WriteJson("config.json", RunConfigJson.ToJson(config));
        QuantitySkewSplitter.Dirichlet(20, 2, alpha: 0.3, seed: 8).Save(run.SplitFile);
        string report = File.ReadAllText(RunReport.Write(run));
        Assert.Contains("| split | Dirichlet quantity skew, α = 0.3;", report);
    }

    [Fact]
    public void TrainRefusesAPrivacyModeItCannotHonour()
    {
        using var temp = new TempDirectory();
        var config = Deployable(temp);
        foreach (string mode in new[] { "dp_sgd", "CLIENT_DP" })
        {
            var problem = Assert.Single((config with { Privacy = new() { Mode = mode, NoiseMultiplier = 1 } }).Validate(RunPurpose.Train));
            Assert.StartsWith($"privacy.mode {mode.ToLowerInvariant()} is not supported by fedllm train", problem);
        }
        Assert.Empty((config with { Privacy = new() { Mode = "none" } }).Validate(RunPurpose.Train));
    }
}
