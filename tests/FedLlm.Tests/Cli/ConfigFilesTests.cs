using FedLlm.Cli.Configuration;
using FedLlm.Cli.Experiments;
using FedLlm.Federation.Configuration;
using FedLlm.Tests.Infrastructure;

namespace FedLlm.Tests.Cli;

/// <summary>The shipped configs use only known keys and valid values: a file in configs/ that drifts from the one spelling fails here.</summary>
public class ConfigFilesTests
{
    public static TheoryData<string> Files() => [.. RunConfigFiles().Where(f => !IsExperiment(f))];

    public static TheoryData<string> ExperimentFiles() => [.. RunConfigFiles().Where(IsExperiment)];

    private static IEnumerable<string> RunConfigFiles() => Directory.GetFiles(Path.Combine(SharedData.RepositoryRoot, "configs"), "*.yaml").Select(f => Path.GetFileName(f));

    private static string? QuotedPath(string problem) => problem.Split('\'') is [_, var quoted, ..] ? quoted : null;

    private static bool IsExperiment(string file) => file.StartsWith("experiment-", StringComparison.Ordinal);

    /// <summary>An experiment file is read by its own command's loader: its keys, and its run: section with the one spelling.</summary>
    [Theory]
    [MemberData(nameof(ExperimentFiles))]
    public void EveryShippedExperimentReadsWithItsCommandsKeys(string file)
    {
        string path = Path.Combine(SharedData.RepositoryRoot, "configs", file);
        ExperimentConfig config = file.Split('-')[1] switch
        {
            "u2s" => ConfigLoader.Load<U2sExperimentConfig>(path, []),
            "knowledgesg" => ConfigLoader.Load<KnowledgesgExperimentConfig>(path, []),
            "fedgc" => ConfigLoader.Load<FedgcExperimentConfig>(path, []),
            var other => throw new InvalidOperationException($"{file}: no experiment command named {other}"),
        };
        // The model folder is made by `fedllm convert`, the data live in ../shared, and prompt files are named from the
        // repository root where the experiment runs (the test runs elsewhere, so those must exist there); every other rule must hold.
        var problems = config.Validate().Where(p => !p.Contains("model.path", StringComparison.Ordinal) && !p.Contains("../shared", StringComparison.Ordinal)
            && !(QuotedPath(p) is { } quoted && File.Exists(Path.Combine(SharedData.RepositoryRoot, quoted)))).ToList();
        Assert.Empty(problems);
    }

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
