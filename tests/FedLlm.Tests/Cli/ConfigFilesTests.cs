using FedLlm.Cli.Configuration;
using FedLlm.Federation.Configuration;
using FedLlm.Tests.Infrastructure;

namespace FedLlm.Tests.Cli;

/// <summary>The shipped configs use only known keys and valid values: a file in configs/ that drifts from the one spelling fails here.</summary>
public class ConfigFilesTests
{
    public static TheoryData<string> Files() => [.. Directory.GetFiles(Path.Combine(SharedData.RepositoryRoot, "configs"), "*.yaml").Select(f => Path.GetFileName(f))];

    [Theory]
    [MemberData(nameof(Files))]
    public void EveryShippedConfigReadsWithTheOneSpelling(string file)
    {
        var config = RunConfigFile.Load(Path.Combine(SharedData.RepositoryRoot, "configs", file), []);
        // The files name a model and data that may not exist here; every other rule must hold for the command the file is for.
        var purpose = file.StartsWith("train", StringComparison.Ordinal) ? RunPurpose.Train : RunPurpose.Partition;
        var problems = config.Run.Validate(purpose)
            .Where(p => !p.StartsWith("data.path", StringComparison.Ordinal) && !p.StartsWith("model.path", StringComparison.Ordinal)).ToList();
        Assert.Empty(problems);
        Assert.Empty(config.Client.Validate());
    }

    /// <summary>The one file runs unchanged: the server (which reads no data, so its data files need not exist here) and a member.</summary>
    [Theory]
    [InlineData(RunPurpose.Serve)]
    [InlineData(RunPurpose.Join)]
    public void TheFederationFileServesAndJoinsUnchanged(RunPurpose purpose)
    {
        string file = Path.Combine(SharedData.RepositoryRoot, "configs", "federation.yaml");
        string missing = Path.Combine(Path.GetTempPath(), $"fedllm-missing-{Guid.NewGuid():N}.jsonl");
        string[] overrides = purpose == RunPurpose.Serve ? [$"data.path={missing}", $"data.eval_path={missing}", $"data.test_path={missing}"] : [];
        var config = RunConfigFile.Load(file, overrides);
        // The model folder is made by `fedllm convert`, and a member's data file is its own; everything else must hold.
        var problems = config.Run.Validate(purpose)
            .Where(p => !p.StartsWith("model.path", StringComparison.Ordinal) && (purpose == RunPurpose.Serve || !p.StartsWith("data.path", StringComparison.Ordinal))).ToList();
        Assert.Empty(problems);
        Assert.Empty(config.Server.Validate());
        Assert.Empty(config.Client.Validate());
    }
}
