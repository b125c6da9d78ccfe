using System.Text.Json.Nodes;
using FedLlm.Federation.Configuration;
using FedLlm.Federation.Runs;
using FedLlm.Federation.Strategies;
using FedLlm.Models.Lora;
using FedLlm.Models.SafeTensors;
using FedLlm.Tests.Infrastructure;

namespace FedLlm.Tests.Federation;

/// <summary>A full simulation (split, local training, aggregation, evaluation, checkpoint, PEFT adapter) with every strategy.</summary>
[Collection(SimulationCollection.Name)]
public class SimulationStrategyTests(TinySimulationModel tiny)
{
    /// <summary>A robust rule sits between the checked updates and any strategy, and each round's metrics say what it chose.</summary>
    [Fact]
    public async Task ARobustRuleRunsInsideTheSimulationAndRecordsItsChoices()
    {
        using var temp = new TempDirectory();
        var config = tiny.Config(temp.Path, "fedavgm", "krum");
        config = config with
        {
            Strategy = config.Strategy with { ClientsPerRound = 4 },
            Robust = new FedLlm.Federation.Robust.RobustSection { Rule = "multi_krum", F = 0, MultiKrumM = 2 },
            Evaluation = config.Evaluation with { Every = 0, MaxAccuracyExamples = 0 },
        };
        var result = await tiny.RunAsync(config);
        var rounds = result.Run.ReadMetrics().Where(m => m["type"]!.GetValue<string>() == "round").ToList();
        Assert.Equal(2, rounds.Count);
        Assert.All(rounds, r =>
        {
            var robust = r["robust"]!;
            Assert.Equal("multi_krum", robust["rule"]!.GetValue<string>());
            Assert.Equal(2, robust["kept"]!.AsArray().Count);
        });
        Assert.All(result.Global!, w => Assert.True(float.IsFinite(w)));
    }

    public static TheoryData<string> Algorithms() => [.. StrategyRegistry.All.Select(k => k.Name)];

    [Theory]
    [MemberData(nameof(Algorithms))]
    public async Task EveryStrategyRunsAFullSimulation(string algorithm)
    {
        using var temp = new TempDirectory();
        // Evaluated once, after the last round, loss only: local-only scores every trained client's adapter on every
        // client, and generation (accuracy) is the slow part; other tests cover accuracy.
        var config = tiny.Config(temp.Path, algorithm, algorithm);
        config = config with { Evaluation = config.Evaluation with { Every = 0, MaxAccuracyExamples = 0 } };
        var result = await tiny.RunAsync(config);
        var run = result.Run;

        // One round line per round with finite losses, and the final evaluation.
        var metrics = run.ReadMetrics().ToList();
        var rounds = metrics.Where(m => m["type"]!.GetValue<string>() == "round").ToList();
        Assert.Equal([0, 1], rounds.Select(r => r["round"]!.GetValue<int>()));
        foreach (var round in rounds)
        {
            Assert.True(double.IsFinite(round["mean_train_loss"]!.GetValue<double>()), round.ToJsonString());
            var perClient = round["train_loss"]!.AsObject();
            Assert.NotEmpty(perClient);
            Assert.All(perClient, p => Assert.True(double.IsFinite(p.Value!.GetValue<double>())));
            Assert.Empty(round["rejected"]!.AsArray());
            // The local-only baseline exchanges nothing, so its traffic is zero (a bench table shows 0 MiB for it).
            bool exchanges = algorithm != LocalOnlyStrategy.Kind.Name;
            Assert.Equal(exchanges, round["bytes_up"]!.GetValue<long>() > 0);
            Assert.Equal(exchanges, round["bytes_down"]!.GetValue<long>() > 0);
            int expectedSampled = algorithm == CentralStrategy.Kind.Name ? 1 : 3;
            Assert.Equal(expectedSampled, round["sampled"]!.AsArray().Count);
        }
        var evaluations = metrics.Where(m => m["type"]!.GetValue<string>() == "evaluation").ToList();
        Assert.Single(evaluations);
        Assert.Equal(1, evaluations[0]["round"]!.GetValue<int>());
        Assert.Equal(algorithm == LocalOnlyStrategy.Kind.Name ? RunMetrics.LocalOnlyModel : RunMetrics.GlobalModel, RunMetrics.ModelOf(evaluations[^1]));
        Assert.Equal(4, result.FinalScores.Count);
        Assert.All(result.FinalScores, s => Assert.True(double.IsFinite(s.Loss) && s.Loss > 0, $"client {s.ClientId} loss {s.Loss}"));

        // The final global adapter in PEFT format, loadable and equal to the run's global vector.
        Assert.True(File.Exists(Path.Combine(run.FinalAdapterDirectory, LoraAdapterSet.ConfigFileName)));
        string weights = Path.Combine(run.FinalAdapterDirectory, LoraAdapterSet.WeightsFileName);
        using (var file = SafeTensorsFile.Open(weights))
            Assert.All(file.Tensors.Keys, k => Assert.StartsWith(LoraAdapterSet.PeftKeyPrefix, k));
        using (var model = tiny.Load())
        {
            var loaded = LoraAdapterSet.Load(model.Model, run.FinalAdapterDirectory);
            Assert.Equal(result.Global, loaded.Flatten());
        }
        var adapterConfig = JsonNode.Parse(File.ReadAllText(Path.Combine(run.FinalAdapterDirectory, LoraAdapterSet.ConfigFileName)))!;
        Assert.Equal(4, adapterConfig["r"]!.GetValue<int>());

        float[] initial = tiny.InitialGlobal(config);
        if (algorithm == LocalOnlyStrategy.Kind.Name)
        {
            // Nothing is exchanged: the global stays at its initialisation, each client's own adapter moved, and they differ.
            Assert.Equal(initial, result.Global);
            var local = TinySimulationModel.LocalWeights(run, 4).OfType<float[]>().ToList();
            Assert.True(local.Count >= 3, $"{local.Count} clients trained");
            Assert.All(local, w => Assert.NotEqual(initial, w));
            for (int i = 0; i < local.Count; i++)
                for (int j = i + 1; j < local.Count; j++)
                    Assert.NotEqual(local[i], local[j]);
        }
        else
        {
            Assert.NotEqual(initial, result.Global);
            Assert.All(result.Global!, w => Assert.True(float.IsFinite(w)));
        }
        Assert.True(File.Exists(run.ReportFile));
    }
}
