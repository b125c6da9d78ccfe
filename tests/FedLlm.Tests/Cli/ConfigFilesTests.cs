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
}
