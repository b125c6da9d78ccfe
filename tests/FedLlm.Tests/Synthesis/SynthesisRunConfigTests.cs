using FedLlm.Cli.Configuration;
using FedLlm.Federation.Configuration;
using FedLlm.Tests.Infrastructure;

namespace FedLlm.Tests.Synthesis;

/// <summary>The u2s: and fedgc: sections of the one run config: read from YAML and flags, validated in its one place.</summary>
public class SynthesisRunConfigTests
{
    [Fact]
    public void TheSectionsReadFromYamlAndEveryKeyIsAFlag()
    {
        using var temp = new TempDirectory();
        string path = temp.File("run.yaml");
        File.WriteAllText(path, """
            u2s:
              enabled: true
              pool: pool.json
              k: 4
              sampling:
                temperature: 0.2
              generator:
                endpoint: http://127.0.0.1:8000/v1
                model: tutor
            fedgc:
              allocation: fill_to_balance
            """);
        var run = RunConfigFile.Load(path, ["u2s.chunk_tokens=64", "fedgc.guidance=examples", "u2s.generator.max_concurrency=2"]).Run;
        Assert.True(run.U2s.Enabled);
        Assert.Equal("pool.json", run.U2s.Pool);
        Assert.Equal(4, run.U2s.K);
        Assert.Equal(64, run.U2s.ChunkTokens);
        Assert.Equal(0.2, run.U2s.Sampling.Temperature);
        Assert.Equal("tutor", run.U2s.Generator.Model);
        Assert.Equal(2, run.U2s.Generator.MaxConcurrency);
        Assert.False(run.Fedgc.Enabled);
        Assert.Equal("fill_to_balance", run.Fedgc.Allocation);
        Assert.Equal("examples", run.Fedgc.Guidance);
        // The saved config.json round-trips the sections (a resumed run rebuilds the same stage).
        var saved = RunConfigJson.FromJson(RunConfigJson.ToJson(run).ToJsonString());
        Assert.Equal(run.U2s, saved.U2s);
        Assert.Equal(run.Fedgc, saved.Fedgc);
    }

    [Fact]
    public void AMistypedKeyIsAnErrorNamingItsPath()
    {
        using var temp = new TempDirectory();
        string path = temp.File("run.yaml");
        File.WriteAllText(path, "u2s:\n  enabled: true\n  top_k: 3\n");
        var error = Assert.Throws<ArgumentException>(() => RunConfigFile.Load(path, []));
        Assert.Contains("u2s.top_k", error.Message);
    }

    [Fact]
    public void ValidationNamesEveryBadKeyAndCombination()
    {
        using var temp = new TempDirectory();
        var u2s = new RunConfig
        {
            Method = "dpo",
            U2s = new U2sSection { Enabled = true, K = 0, Prompt = temp.File("missing.txt"), Generator = new() { Endpoint = "ftp://x", Model = "m" } },
            Fedgc = new FedgcSection { Enabled = true, Guidance = "hints" },
        };
        var problems = u2s.Validate(RunPurpose.Simulate);
        Assert.Contains(problems, p => p.StartsWith("u2s.pool is required", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("u2s.k must be", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("u2s.prompt: ", StringComparison.Ordinal) && p.Contains("missing.txt"));
        Assert.Contains(problems, p => p.StartsWith("u2s.generator.endpoint", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("u2s.enabled", StringComparison.Ordinal) && p.Contains("method dpo", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("give u2s.enabled or fedgc.enabled, not both", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("fedgc.guidance 'hints'", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("fedgc.generator.", StringComparison.Ordinal) && p.Contains("give either", StringComparison.Ordinal));

        Assert.Contains(new RunConfig { U2s = new U2sSection { Enabled = true } }.Validate(RunPurpose.Train), p => p.Contains("fedllm synthesize u2s", StringComparison.Ordinal));
        // Off, the sections check nothing; the server of a deployment never needs the pool file.
        Assert.DoesNotContain(new RunConfig { U2s = new U2sSection { K = 0 } }.Validate(RunPurpose.Partition), p => p.StartsWith("u2s", StringComparison.Ordinal));
        Assert.DoesNotContain(new RunConfig { U2s = new U2sSection { Enabled = true, Pool = "absent.json", Generator = new() { ModelPath = "m" } } }.Validate(RunPurpose.Serve),
            p => p.StartsWith("u2s", StringComparison.Ordinal));
    }
}
