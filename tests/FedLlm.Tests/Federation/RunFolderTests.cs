using FedLlm.Federation.Configuration;
using FedLlm.Federation.Runs;
using FedLlm.Tests.Infrastructure;

namespace FedLlm.Tests.Federation;

/// <summary>Run records that never lie: refused starts write nothing, changed run keys are named, damaged checkpoints are passed over.</summary>
[Collection(SimulationCollection.Name)]
public class RunFolderTests(TinySimulationModel tiny)
{
    private RunConfig Config(string output, int rounds = 3)
    {
        var config = tiny.Config(output, "fedavg", "records", rounds);
        return config with { Evaluation = config.Evaluation with { Every = 0, MaxAccuracyExamples = 0 } };
    }

    /// <summary>Every file of the folder with its bytes, to show a refused start changed nothing.</summary>
    private static Dictionary<string, byte[]> Snapshot(string folder) =>
        Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).ToDictionary(f => Path.GetRelativePath(folder, f), File.ReadAllBytes);

    private static void AssertUnchanged(Dictionary<string, byte[]> before, string folder)
    {
        var after = Snapshot(folder);
        Assert.Equal(before.Keys.Order(), after.Keys.Order());
        foreach (var (file, bytes) in before) Assert.True(bytes.AsSpan().SequenceEqual(after[file]), $"{file} changed");
    }

    [Fact]
    public async Task ANewRunOverACheckpointedRunIsRefusedAndWritesNothing()
    {
        using var temp = new TempDirectory();
        var config = Config(temp.Path, rounds: 1);
        await tiny.RunAsync(config);
        var before = Snapshot(config.RunDirectory);
        var refused = await Assert.ThrowsAsync<RunFolderException>(() => tiny.RunAsync(config));
        Assert.Contains("already holds a run with checkpoints", refused.Message);
        Assert.Contains("--resume", refused.Message);
        AssertUnchanged(before, config.RunDirectory);
    }

    [Fact]
    public async Task ResumingWithChangedRunKeysIsRefusedNamingEachWhileOperationalKeysMayChange()
    {
        using var temp = new TempDirectory();
        var config = Config(temp.Path, rounds: 1);
        await tiny.RunAsync(config);
        var before = Snapshot(config.RunDirectory);
        var changed = config with { Seed = 12, Lora = config.Lora with { Rank = 8 } };
        var refused = await Assert.ThrowsAsync<RunFolderException>(() => tiny.RunAsync(changed, resume: true));
        Assert.Contains("seed: 11 → 12", refused.Message);
        Assert.Contains("lora.rank: 4 → 8", refused.Message);
        AssertUnchanged(before, config.RunDirectory);

        // Where files go and how often to checkpoint or evaluate are not the run's identity.
        var operational = config with { CheckpointEvery = 2, Evaluation = config.Evaluation with { MaxExamples = 7 } };
        Assert.Empty(FederatedRun.CheckFolder(operational, new RunDirectory(config.RunDirectory), StartMode.Resume));
    }

    [Fact]
    public async Task ADamagedNewestCheckpointFallsBackToThePreviousOneWithAWarningAndEndsTheSame()
    {
        using var temp = new TempDirectory();
        var config = Config(temp.Path);
        var reference = await tiny.RunAsync(config with { Name = "reference" });
        await tiny.RunAsync(config);
        var run = new RunDirectory(config.RunDirectory);
        string newest = Path.Combine(run.CheckpointsDirectory, "round-000002", "global.bin");
        byte[] bytes = File.ReadAllBytes(newest);
        bytes[^20] ^= 0x40; // a flipped bit in the last values
        File.WriteAllBytes(newest, bytes);

        var messages = new List<string>();
        var resumed = await tiny.RunAsync(config, resume: true, observer: new Messages(messages));
        Assert.Contains(messages, m => m.Contains("Warning: checkpoint round-000002: global.bin does not match its recorded checksum", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("Resuming after round 2 of 3", StringComparison.Ordinal));
        Assert.Equal(reference.Global, resumed.Global);
    }

    [Fact]
    public async Task ReplacingDiscardsTheEarlierRunsRecords()
    {
        using var temp = new TempDirectory();
        var config = Config(temp.Path);
        await tiny.RunAsync(config);
        using var model = tiny.Load();
        var shorter = config with { Rounds = 1 };
        await Simulation.RunAsync(shorter, model, TinySimulationModel.Data(shorter), mode: StartMode.Replace);
        var run = new RunDirectory(config.RunDirectory);
        Assert.Equal(0, run.LatestCheckpoint()!.Round);
        Assert.Single(Directory.EnumerateDirectories(run.CheckpointsDirectory));
        Assert.Single(run.ReadMetrics(), m => m["type"]?.GetValue<string>() == RunMetrics.RoundType);
    }

    [Fact]
    public void AFolderHeldByAnotherRunIsRefused()
    {
        using var temp = new TempDirectory();
        var first = new RunDirectory(temp.File("held"));
        Assert.True(first.Lock());
        try
        {
            var error = Assert.Throws<RunFolderInUseException>(() => new RunDirectory(temp.File("held")).Lock());
            Assert.Contains("is in use by another fedllm process", error.Message);
        }
        finally
        {
            first.Unlock();
        }
        var again = new RunDirectory(temp.File("held"));
        Assert.True(again.Lock());
        again.Unlock();
    }

    private sealed class Messages(List<string> lines) : IRunObserver
    {
        public void Message(string text) => lines.Add(text);
    }
}
