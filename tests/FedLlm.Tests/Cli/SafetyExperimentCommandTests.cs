using System.Text.Json.Nodes;
using FedLlm.Tests.Infrastructure;

namespace FedLlm.Tests.Cli;

/// <summary><c>fedllm experiment safety</c> as a user runs it, shrunk by flags to seconds: every arm, the table in three forms.</summary>
public class SafetyExperimentCommandTests
{
    [Fact]
    public void TheExperimentRunsEveryArmAndWritesTheTableAndTheChart()
    {
        using var temp = new TempDirectory();
        File.WriteAllText(temp.File("safety.yaml"), """
            name: small
            base_steps: 20
            clients: 4
            malicious: 1
            records_per_client: 8
            rounds: 1
            local_steps: 1
            defense_samples: 4
            defense_steps: 1
            max_new_tokens: 4
            eval_prompts: 12
            """);
        var result = CliProcess.RunIn(temp.Path, "experiment", "safety", "--config", "safety.yaml", "--rules", "median",
            "--output-directory", "out", "--cache-directory", "cache");
        Assert.True(result.ExitCode == 0, result.Stderr + result.Stdout);

        var table = JsonNode.Parse(File.ReadAllText(Path.Combine(temp.Path, "out", "small", "results.json")))!;
        Assert.Equal(["refusal rate", "prompts n", "held-out loss"], table["columns"]!.AsArray().Select(c => (string?)c));
        var rows = table["rows"]!.AsArray();
        Assert.Equal(["base model (aligned warm-up)", "FedAvg, no attack", "FedAvg, attacked", "attacked + median", "attacked + defense level 1", "attacked + defense level 3"],
            rows.Select(r => (string?)r!["arm"]));
        foreach (var row in rows)
        {
            var values = row!["values"]!.AsArray();
            Assert.InRange(values[0]!.GetValue<double>(), 0, 1);
            Assert.Equal(12, values[1]!.GetValue<double>()); // of the 30 held-out harmful acts × 4 frames
        }
        Assert.True(new FileInfo(Path.Combine(temp.Path, "out", "small", "results.png")).Length > 0);
        Assert.Contains("| attacked + defense level 1 |", File.ReadAllText(Path.Combine(temp.Path, "out", "small", "results.md")));
        // The level-1 arm's output is the defended adapter; the undefended aggregate is kept beside it.
        Assert.True(Directory.Exists(Path.Combine(temp.Path, "out", "small", "attacked-defense-1", "adapter-undefended")));
    }

    [Fact]
    public void ABadSettingIsOneLineNamingTheKey()
    {
        var result = CliProcess.Run("experiment", "safety", "--malicious", "0", "--rules", "median,cheap");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("malicious must be in [1, clients − 1], got 0 of 10", result.Stderr);
        Assert.Contains("rules 'cheap' is unknown", result.Stderr);
        Assert.Single(result.Stderr.Trim().Split('\n'));
    }
}
