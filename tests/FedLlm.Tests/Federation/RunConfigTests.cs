using FedLlm.Data.Loading;
using FedLlm.Federation.Configuration;
using FedLlm.Foundation.Configuration;
using FedLlm.Tests.Infrastructure;

namespace FedLlm.Tests.Federation;

/// <summary>The one run config: its parsers, its one place of validation, and the combinations it refuses.</summary>
public class RunConfigTests
{
    [Fact]
    public void HeldOutSplitIsDeterministicDisjointCompleteAndPerParty()
    {
        var records = Enumerable.Range(0, 200).ToList();
        var (train, heldOut) = HeldOutSplit.Split(records, 0.1, seed: 5);
        var (train2, heldOut2) = HeldOutSplit.Split(records, 0.1, seed: 5);
        var (_, otherHeldOut) = HeldOutSplit.Split(records, 0.1, seed: 6);
        var (_, otherParty) = HeldOutSplit.Split(records, 0.1, seed: 5, partyId: 1);

        Assert.Equal(20, heldOut.Count);
        Assert.Equal(train, train2);
        Assert.Equal(heldOut, heldOut2);
        Assert.NotEqual(heldOut, otherHeldOut);
        Assert.NotEqual(heldOut, otherParty);
        Assert.Equal(records, train.Concat(heldOut).Order());
        Assert.Empty(HeldOutSplit.Split(records, 0, seed: 5).HeldOut);
        Assert.Single(HeldOutSplit.Split([1, 2], 0.9, seed: 1).Train); // at least one record is always trained on
    }

    [Fact]
    public void EveryEnumerationIsParsedCaseInsensitivelyWithTheValidValuesInTheError()
    {
        var names = new NamedValues<int>(("one", 1), ("uno", 1), ("two", 2));
        Assert.Equal(1, names.Parse("ONE", "k"));
        Assert.Equal(1, names.Parse(" Uno ", "k"));
        Assert.Equal(["one", "two"], names.Names);
        var error = Assert.Throws<ArgumentException>(() => names.Parse("three", "section.key"));
        Assert.Equal("section.key 'three' is unknown (valid: one, two)", error.Message);
        Assert.Contains("data.format 'instructionresponse' is unknown (valid: auto, alpaca, instruction_response,",
            Problems(new RunConfig { Data = new DataSection { Format = "instructionresponse" } }, RunPurpose.Partition));
        Assert.DoesNotContain("data.format", Problems(new RunConfig { Data = new DataSection { Format = "INSTRUCTION_RESPONSE" } }, RunPurpose.Partition));
    }

    [Fact]
    public void ValidConfigsHaveNoProblems()
    {
        using var temp = new TempDirectory();
        File.WriteAllText(temp.File("d.jsonl"), "");
        var config = new RunConfig { Model = new() { Path = temp.Path }, Data = new() { Path = temp.File("d.jsonl") } };
        Assert.Empty(config.Validate(RunPurpose.Train));
        Assert.Empty(config.Validate(RunPurpose.Simulate));
        Assert.Empty((config with { Method = "DPO", Data = config.Data with { Format = "preference", OnBadRow = "fail" } }).Validate(RunPurpose.Train));
        Assert.Empty((config with { Trainable = "full" }).Validate(RunPurpose.Train));
    }

    [Fact]
    public void EveryProblemIsNamedWithItsKey()
    {
        using var temp = new TempDirectory();
        var config = new RunConfig
        {
            Method = "ppo",
            Model = new() { Path = temp.File("missing"), Dtype = "float16" },
            Data = new() { Path = temp.File("missing.json"), Format = "csvish", Template = "mystery", OnBadRow = "ignore", HeldOutFraction = 1 },
            Lora = new() { Rank = 0, Targets = "q_proj,x_proj" },
            Training = new() { BatchSize = 0, Schedule = "zigzag" },
            Split = new() { Method = "stripes" },
            Strategy = new() { Algorithm = "fedsgd" },
            Privacy = new() { Mode = "on" },
            Evaluation = new() { Every = -1 },
        };
        string all = string.Join("\n", config.Validate(RunPurpose.Simulate));
        foreach (string expected in new[] { "method 'ppo'", "model.path", "model.dtype 'float16'", "data.path", "data.format 'csvish'", "data.template 'mystery'",
                     "data.on_bad_row 'ignore'", "data.held_out_fraction", "lora", "training.batch_size", "training.schedule 'zigzag'", "split.method 'stripes'",
                     "strategy.algorithm 'fedsgd'", "privacy.mode 'on'", "evaluation.every" })
            Assert.Contains(expected, all);
    }

    [Theory]
    [InlineData("scaffold", "encryption", "encryption.enabled", "strategy.algorithm 'scaffold'")]
    [InlineData("central", "client_dp", "privacy.mode client_dp", "strategy.algorithm 'central'")]
    [InlineData("central", "dp_sgd", "privacy.mode dp_sgd", "strategy.algorithm 'central'")]
    [InlineData("local", "client_dp", "privacy.mode client_dp", "strategy.algorithm 'local'")]
    [InlineData("fedavg", "dpo+dp_sgd", "privacy.mode dp_sgd", "method dpo")]
    [InlineData("fedavg", "encryption+client_dp", "privacy.mode client_dp with encryption.enabled", "privacy.client_side_noise")]
    public void AnIncompatibleCombinationIsOneProblemNamingBothKeys(string algorithm, string combination, string firstKey, string secondKey)
    {
        var config = new RunConfig
        {
            Model = new() { Preset = "tiny" },
            Strategy = new() { Algorithm = algorithm },
            Method = combination.StartsWith("dpo", StringComparison.Ordinal) ? "dpo" : "sft",
            Encryption = new() { Enabled = combination.Contains("encryption", StringComparison.Ordinal) },
            Privacy = combination switch
            {
                "client_dp" or "encryption+client_dp" => new() { Mode = "client_dp", NoiseMultiplier = 1 },
                "dp_sgd" or "dpo+dp_sgd" => new() { Mode = "dp_sgd", NoiseMultiplier = 1 },
                _ => new(),
            },
        };
        var problem = Assert.Single(config.Validate(RunPurpose.Partition));
        Assert.Contains(firstKey, problem);
        Assert.Contains(secondKey, problem);
    }

    [Fact]
    public void ADeploymentRefusesBaselinesAndReproducibleNoise()
    {
        var config = new RunConfig { Model = new() { Preset = "tiny" } };
        Assert.Contains("cannot run in a deployment", Problems(config with { Strategy = new() { Algorithm = "local" } }, RunPurpose.Serve));
        var seeded = config with { Privacy = new() { Mode = "client_dp", NoiseMultiplier = 1, ReproducibleNoise = true } };
        Assert.Contains("privacy.reproducible_noise is refused in a deployment", Problems(seeded, RunPurpose.Serve));
        Assert.DoesNotContain("reproducible_noise", Problems(seeded, RunPurpose.Partition));
    }

    [Fact]
    public void FullTrainingRejectsBf16DpoAndFederation()
    {
        using var temp = new TempDirectory();
        File.WriteAllText(temp.File("d.jsonl"), "");
        var config = new RunConfig { Trainable = "full", Model = new() { Path = temp.Path }, Data = new() { Path = temp.File("d.jsonl") } };
        Assert.Contains((config with { Model = config.Model with { Dtype = "bfloat16" } }).Validate(RunPurpose.Train), p => p.Contains("float32"));
        Assert.Contains((config with { Method = "dpo" }).Validate(RunPurpose.Train), p => p.Contains("dpo"));
        Assert.Contains(config.Validate(RunPurpose.Simulate), p => p.Contains("trainable full applies to fedllm train only"));
    }

    private static string Problems(RunConfig config, RunPurpose purpose) => string.Join("\n", config.Validate(purpose));
}
