using FedLlm.Tests.Infrastructure;

namespace FedLlm.Tests.Transport;

/// <summary>
/// A server's run folder never lies: a restart with changed run keys is refused naming each, a second server on a busy
/// port or on a folder in use ends with one line; none of them writes a byte.
/// </summary>
public class ServerRunRecordsTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(4);

    /// <summary>Every file's bytes but the lock's, which a live server holds shut to every reader.</summary>
    private static Dictionary<string, byte[]> Snapshot(string folder) =>
        Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Where(f => Path.GetFileName(f) != "run.lock")
            .ToDictionary(f => Path.GetRelativePath(folder, f), File.ReadAllBytes);

    private static void AssertUnchanged(Dictionary<string, byte[]> before, string folder)
    {
        var after = Snapshot(folder);
        Assert.Equal(before.Keys.Order(), after.Keys.Order());
        foreach (var (file, bytes) in before) Assert.True(bytes.AsSpan().SequenceEqual(after[file]), $"{file} changed");
    }

    /// <summary>Exit 1 with exactly one line on stderr, which holds every one of <paramref name="expected"/>.</summary>
    private static void AssertOneLineRefusal(CliProcess.Result result, params string[] expected)
    {
        Assert.True(result.ExitCode == 1, $"exit {result.ExitCode}: {result.Stdout}{result.Stderr}");
        string line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: ", line);
        foreach (string text in expected) Assert.Contains(text, line);
    }

    [Fact]
    public void RefusedServerStartsSayWhyInOneLineAndWriteNothing()
    {
        using var federation = new DeploymentFixture(["alpha", "beta"], rounds: 2, algorithm: "fedavg");
        var simulated = federation.Simulate("fed"); // the run folder the server would resume
        Assert.True(simulated.ExitCode == 0, simulated.Stderr);
        string runFolder = Path.Combine(federation.Root, "runs", "fed");
        var before = Snapshot(runFolder);

        AssertOneLineRefusal(CliProcess.RunIn(federation.Root, federation.Environment, "server", "--config", "run.yaml", "--seed", "12", "--lora.rank", "8"),
            "cannot resume", "seed: 11 → 12", "lora.rank: 4 → 8");
        AssertUnchanged(before, runFolder);

        // A live server on a fresh run; a second one on its port, then one on its folder from another port.
        using var live = federation.StartServer("--name", "live");
        live.WaitFor("listening on", Patience);
        string liveFolder = Path.Combine(federation.Root, "runs", "live");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!File.Exists(Path.Combine(liveFolder, "config.json")) && clock.Elapsed < Patience) Thread.Sleep(100); // written once it holds the folder
        var liveBefore = Snapshot(liveFolder);
        AssertOneLineRefusal(CliProcess.RunIn(federation.Root, federation.Environment, "server", "--config", "run.yaml", "--name", "other"),
            $"cannot listen on https://127.0.0.1:{federation.Port}");
        Assert.False(Directory.Exists(Path.Combine(federation.Root, "runs", "other")), "a server that could not listen created its run folder");
        AssertOneLineRefusal(CliProcess.RunIn(federation.Root, federation.Environment, "server", "--config", "run.yaml", "--name", "live",
            "--server.listen", $"https://127.0.0.1:{BackgroundCli.FreePort()}"), "is in use by another fedllm process");
        AssertUnchanged(liveBefore, liveFolder);
        Assert.False(live.HasExited, live.Output);
    }
}
