using System.Diagnostics;
using System.Text.Json.Nodes;
using FedLlm.Tests.Infrastructure;

namespace FedLlm.Tests.Cli;

/// <summary>
/// `fedllm simulate` killed (whole process tree) once a checkpoint exists, then `fedllm simulate --resume RUN_DIR`,
/// ends with the same adapter bytes and the same per-round losses as an uninterrupted run of the same config and seed.
/// </summary>
public class SimulateResumeCliTests : IClassFixture<CliErrorTests.TinyModelFixture>
{
    private readonly CliErrorTests.TinyModelFixture _fixture;

    public SimulateResumeCliTests(CliErrorTests.TinyModelFixture fixture) => _fixture = fixture;

    private string WriteConfig(TempDirectory temp, int rounds)
    {
        string path = temp.File($"config-{rounds}.yaml");
        File.WriteAllText(path, $"""
            output_directory: {temp.File("runs")}
            seed: 5
            model:
              path: {_fixture.Model}
            data:
              template: chatml
              demo_records: 80
            evaluation:
              max_accuracy_examples: 0
            split:
              method: dirichlet
              clients: 4
              alpha: 1.0
            lora:
              rank: 4
              alpha: 8
              dropout: 0.1
              targets: q_proj,v_proj
            strategy:
              algorithm: scaffold
              clients_per_round: 3
            training:
              learning_rate: 0.01
              max_steps: 2
              batch_size: 2
              max_sequence_length: 48
            rounds: {rounds}
            """);
        return path;
    }

    [Fact]
    public void KilledRunResumesToTheSameAdapterBytes()
    {
        using var temp = new TempDirectory();
        const int killAfterRound = 1; // 0-based: the second round's checkpoint
        // If the run outpaces the poller and finishes before the kill, the test retries with a longer run instead of
        // passing without an interruption.
        for (int rounds = 6; rounds <= 48; rounds *= 2)
        {
            string config = WriteConfig(temp, rounds);
            string name = $"killed-{rounds}";
            string runDir = Path.Combine(temp.File("runs"), name);
            bool interrupted = RunAndKill(["simulate", "--config", config, "--name", name], runDir, rounds, killAfterRound);
            if (!interrupted) continue;

            var resumed = CliProcess.Run("simulate", "--resume", runDir);
            Assert.True(resumed.ExitCode == 0, resumed.Stderr);
            Assert.Contains("Resuming after round", resumed.Stderr);

            var reference = CliProcess.Run("simulate", "--config", config, "--name", $"reference-{rounds}");
            Assert.True(reference.ExitCode == 0, reference.Stderr);
            string referenceDir = Path.Combine(temp.File("runs"), $"reference-{rounds}");

            Assert.Equal(File.ReadAllBytes(Path.Combine(referenceDir, "adapter", "adapter_model.safetensors")),
                         File.ReadAllBytes(Path.Combine(runDir, "adapter", "adapter_model.safetensors")));
            Assert.Equal(RoundLosses(referenceDir), RoundLosses(runDir));
            Assert.Equal(Enumerable.Range(0, rounds), RoundLosses(runDir).Select(r => r.Round));
            Assert.True(File.Exists(Path.Combine(runDir, "report.md")));
            return;
        }
        Assert.Fail("every run finished before it could be killed after a checkpoint, even with 48 rounds");
    }

    /// <summary>Starts fedllm, waits for the checkpoint of <paramref name="killAfterRound"/>, kills the process tree; true when the run was cut short.</summary>
    private static bool RunAndKill(string[] args, string runDir, int rounds, int killAfterRound)
    {
        using var process = BackgroundCli.Start("simulate", AppContext.BaseDirectory, args);
        string marker = Path.Combine(runDir, "checkpoints", $"round-{killAfterRound:D6}", "COMPLETE");
        var deadline = Stopwatch.StartNew();
        while (!File.Exists(marker) && !process.HasExited)
        {
            if (deadline.Elapsed > TimeSpan.FromMinutes(5))
            {
                process.Kill();
                throw new TimeoutException("no checkpoint within 5 minutes");
            }
            Thread.Sleep(5);
        }
        process.Kill();
        if (!File.Exists(marker)) throw new InvalidOperationException($"fedllm exited ({process.ExitCode}) without a checkpoint: {process.Output}");
        // Cut short exactly when the last round's checkpoint is missing.
        return !File.Exists(Path.Combine(runDir, "checkpoints", $"round-{rounds - 1:D6}", "COMPLETE"));
    }

    private static List<(int Round, double Loss)> RoundLosses(string runDir) =>
        [.. TrainingFiles.MetricLines(runDir, "round").Select(m => (m["round"]!.GetValue<int>(), m["mean_train_loss"]!.GetValue<double>()))];
}
