using FedLlm.Federation.Configuration;
using FedLlm.Generation;
using FedLlm.Tests.Infrastructure;

namespace FedLlm.Tests.Federation.Safety;

/// <summary>attack:, defense: and evaluation.safety are checked in the run config's one place, each problem one line naming its key.</summary>
public class SafetyConfigTests
{
    private static readonly RunConfig Tiny = new() { Model = new() { Preset = "tiny" }, Split = new() { Method = "iid", Clients = 4 } };

    private static IReadOnlyList<string> Problems(RunConfig config, RunPurpose purpose = RunPurpose.Simulate) => config.Validate(purpose);

    [Fact]
    public void AValidAttackAndDefenseAreAccepted()
    {
        using var temp = new TempDirectory();
        File.WriteAllText(temp.File("a.jsonl"), "");
        var config = Tiny with
        {
            Attack = new() { MaliciousClients = "0, 3", Data = temp.File("a.jsonl") },
            Defense = new() { Level = 1, AlignedData = temp.File("a.jsonl"), NormalData = temp.File("a.jsonl"), Samples = 10, Steps = 2 },
            Evaluation = new() { Safety = new() { Prompts = temp.File("a.jsonl"), MaxPrompts = 8 } },
        };
        Assert.Empty(Problems(config));
        Assert.Equal([0, 3], config.Attack.MaliciousIds().Order());
        Assert.True(config.Attack.IsMalicious(3));
        Assert.False(config.Attack.IsMalicious(1));
    }

    [Theory]
    [InlineData("x,1", "attack.malicious_clients must be comma-separated client ids")]
    [InlineData(",", "attack.malicious_clients names no client id")]
    public void BadMaliciousIdsNameTheKey(string ids, string expected)
    {
        var problems = Problems(Tiny with { Attack = new() { MaliciousClients = ids, Data = "missing.jsonl" } });
        Assert.Contains(problems, p => p.StartsWith(expected, StringComparison.Ordinal));
        Assert.Contains(problems, p => p == "attack.data 'missing.jsonl' does not exist");
    }

    [Fact]
    public void AnAttackNeedsExactlyOneDataSourceAndClientsThatExist()
    {
        Assert.Contains(Problems(Tiny with { Attack = new() { MaliciousCount = 1 } }), p => p.StartsWith("attack: give attack.data", StringComparison.Ordinal));
        Assert.Contains(Problems(Tiny with { Attack = new() { MaliciousCount = 1, Data = "x", Generator = new GeneratorSection { Endpoint = "http://h/v1", Model = "m" } } }),
            p => p.StartsWith("attack: give attack.data", StringComparison.Ordinal));
        Assert.Contains(Problems(Tiny with { Attack = new() { Data = "x" } }), p => p.Contains("no client is malicious", StringComparison.Ordinal));
        // N is known from split.clients: client 7 of 4 does not exist, nor do 5 malicious of 4.
        Assert.Contains(Problems(Tiny with { Attack = new() { MaliciousClients = "7", Data = "x" } }), p => p.StartsWith("attack.malicious_clients names client 7, but the clients are 0 … 3", StringComparison.Ordinal));
        Assert.Contains(Problems(Tiny with { Attack = new() { MaliciousCount = 5, Data = "x" } }), p => p.StartsWith("attack.malicious_count (5) is larger than the 4 clients", StringComparison.Ordinal));
        Assert.Contains(Problems(Tiny with { Attack = new() { MaliciousCount = 1, Generator = new GeneratorSection() } }), p => p.StartsWith("attack.generator.", StringComparison.Ordinal));
    }

    [Fact]
    public void TheServerDoesNotNeedTheAttackDataButAMemberDoes()
    {
        using var temp = new TempDirectory();
        File.WriteAllText(temp.File("d.jsonl"), "");
        var config = new RunConfig { Model = new() { Path = temp.Path }, Data = new() { Path = temp.File("d.jsonl") }, Attack = new() { MaliciousCount = 1, Data = "elsewhere.jsonl" } };
        Assert.DoesNotContain(Problems(config, RunPurpose.Serve), p => p.StartsWith("attack.", StringComparison.Ordinal));
        Assert.Contains(Problems(config, RunPurpose.Join), p => p == "attack.data 'elsewhere.jsonl' does not exist");
    }

    [Theory]
    [InlineData(5, "defense.level must be 0 (off), 1 (public data), 2 (a generator) or 3")]
    [InlineData(1, "defense.level 1 needs defense.aligned_data and defense.normal_data")]
    [InlineData(2, "defense.level 2 needs defense.generator")]
    public void DefenseLevelsNameWhatTheyNeed(int level, string expected) =>
        Assert.Contains(Problems(Tiny with { Defense = new() { Level = level } }), p => p.StartsWith(expected, StringComparison.Ordinal));

    [Fact]
    public void DefenseParametersAndCombinationsAreChecked()
    {
        var problems = Problems(Tiny with
        {
            Defense = new() { Level = 3, Samples = 1, Steps = 0, LearningRate = -1, BatchSize = 0, Every = -1 },
            Encryption = new() { Enabled = true },
        });
        foreach (string key in new[] { "defense.samples", "defense.steps", "defense.learning_rate", "defense.batch_size", "defense.every" })
            Assert.Contains(problems, p => p.StartsWith(key + " must", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("defense.level cannot be combined with encryption.enabled", StringComparison.Ordinal));
        Assert.Contains(Problems(Tiny with { Defense = new() { Level = 1, AlignedData = "a", NormalData = "b" } }, RunPurpose.Train),
            p => p.StartsWith("defense applies to federated runs", StringComparison.Ordinal));
        Assert.Contains(Problems(Tiny with { Method = "dpo", Defense = new() { Level = 3 } }), p => p.StartsWith("attack and defense train on instruction data", StringComparison.Ordinal));
    }

    [Fact]
    public void SafetyEvaluationSettingsAreChecked()
    {
        var problems = Problems(Tiny with { Evaluation = new() { Safety = new() { Prompts = "nowhere.csv", MaxPrompts = -1, Temperature = 3, TopP = 0, MaxNewTokens = 0 } } });
        Assert.Contains(problems, p => p == "evaluation.safety.prompts 'nowhere.csv' does not exist");
        foreach (string key in new[] { "max_prompts", "temperature", "top_p", "max_new_tokens" })
            Assert.Contains(problems, p => p.StartsWith($"evaluation.safety.{key} must", StringComparison.Ordinal));
        Assert.Contains(Problems(Tiny with { Evaluation = new() { Safety = new() { Judge = new GeneratorSection { Endpoint = "http://h/v1", Model = "m" } } } }),
            p => p.StartsWith("evaluation.safety.judge is set without", StringComparison.Ordinal));
    }
}
