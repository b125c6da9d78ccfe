using FedLlm.Federation.Engine;
using FedLlm.Foundation.Storage;
using FedLlm.Federation.Configuration;
using FedLlm.Federation.Runs;
using FedLlm.Models.Lora;
using FedLlm.Tests.Infrastructure;

namespace FedLlm.Tests.Federation;

/// <summary>A run interrupted after a checkpoint and resumed ends bit-identical to an uninterrupted one.</summary>
[Collection(SimulationCollection.Name)]
public class SimulationResumeTests(TinySimulationModel tiny)
{
    private const int Rounds = 4;

    /// <summary>Evaluation only at the end, loss only: resume is about training state, and generation is the slow part.</summary>
    private RunConfig Config(string output, string algorithm, string name)
    {
        var config = tiny.Config(output, algorithm, name, Rounds);
        return config with { Evaluation = config.Evaluation with { Every = 0, MaxAccuracyExamples = 0 } };
    }

    /// <summary>Cancels the run as soon as the given round has completed (its checkpoint is written right after).</summary>
    private sealed class CancelAfterRound(int round, CancellationTokenSource source) : IRunObserver
    {
        public void RoundCompleted(RoundOutcome outcome, System.Text.Json.Nodes.JsonObject record, int totalRounds)
        {
            if (outcome.Round == round) source.Cancel();
        }
    }

    [Theory]
    [InlineData("scaffold")]
    [InlineData("fedadam")]
    [InlineData("local")]
    public async Task ResumedRunMatchesAnUninterruptedRunBitForBit(string algorithm)
    {
        using var temp = new TempDirectory();
        var reference = await tiny.RunAsync(Config(temp.Path, algorithm, "uninterrupted"));

        var config = Config(temp.Path, algorithm, "interrupted");
        using (var cancel = new CancellationTokenSource())
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
                tiny.RunAsync(config, observer: new CancelAfterRound(1, cancel), cancellation: cancel.Token));
        }
        var run = new RunDirectory(config.RunDirectory);
        Assert.Equal(1, run.LatestCheckpoint()!.Round);
        Assert.False(Directory.Exists(run.FinalAdapterDirectory), "the interrupted run must not have finished");

        // What a kill in the middle of round 2 leaves behind: a client state written for round 2 and a half-written metrics line.
        new FedLlm.Federation.Client.ClientStateStore(run.ClientStateDirectory).Write(0, "scaffold.c_i", 2, new float[reference.Global!.Length]);
        File.AppendAllText(run.MetricsFile, "{\"type\":\"round\",\"round\":2,\"sampl");

        var resumed = await tiny.RunAsync(config, resume: true);

        Assert.Equal(File.ReadAllBytes(Path.Combine(reference.Run.FinalAdapterDirectory, LoraAdapterSet.WeightsFileName)),
                     File.ReadAllBytes(Path.Combine(resumed.Run.FinalAdapterDirectory, LoraAdapterSet.WeightsFileName)));
        Assert.Equal(reference.Global, resumed.Global);
        Assert.Equal(TrainLosses(reference.Run), TrainLosses(resumed.Run));
        Assert.Equal(reference.FinalScores, resumed.FinalScores);
        if (algorithm == "local")
        {
            // The global never moves for local-only; what must match are the clients' own adapters.
            var expected = TinySimulationModel.LocalWeights(reference.Run, 4);
            var actual = TinySimulationModel.LocalWeights(resumed.Run, 4);
            Assert.Equal(expected.Count(w => w is not null), actual.Count(w => w is not null));
            for (int c = 0; c < 4; c++) Assert.Equal(expected[c], actual[c]);
        }
    }

    [Fact]
    public async Task ResumeWithoutACheckpointStartsAfresh()
    {
        using var temp = new TempDirectory();
        var fresh = await tiny.RunAsync(Config(temp.Path, "fedavg", "a"));
        var resumed = await tiny.RunAsync(Config(temp.Path, "fedavg", "b"), resume: true);
        Assert.Equal(fresh.Global, resumed.Global);
    }

    private static List<(int Round, double Loss)> TrainLosses(RunDirectory run) =>
        [.. run.ReadMetrics().Where(m => m["type"]!.GetValue<string>() == "round")
            .Select(m => (m["round"]!.GetValue<int>(), m["mean_train_loss"]!.GetValue<double>()))];
}
