using FedLlm.Federation.Demo;
using FedLlm.Federation.Configuration;
using FedLlm.Federation.Runs;
using FedLlm.Tests.Infrastructure;

namespace FedLlm.Tests.Federation;

/// <summary>A FedLLM-Bench-sized natural split (747 clients) through the real simulation: one round, ten sampled clients.</summary>
[Collection(SimulationCollection.Name)]
public class LargeNaturalSimulationTests(TinySimulationModel tiny)
{
    private const int Clients = 747;

    [Fact]
    public async Task SevenHundredFortySevenClientsRunARoundWithStateOnlyForTheSampled()
    {
        using var temp = new TempDirectory();
        var config = tiny.Config(temp.Path, "scaffold", "747", rounds: 1) with
        {
            Split = new SplitSection { Method = "natural", Field = "client" },
            Strategy = tiny.Config(temp.Path, "scaffold", "x").Strategy with { ClientsPerRound = 10 },
            Data = tiny.Config(temp.Path, "scaffold", "x").Data with { HeldOutFraction = 0 },
            Evaluation = new EvaluationSection { MaxAccuracyExamples = 0 },
        };
        using var model = tiny.Load();
        var data = RunData.Prepare(config, new RunRecords(SyntheticFederation.SkewedRecords(Clients, 2_000, 747), null, null, []));
        Assert.Equal(Clients, data.Split.ClientCount);
        var result = await Simulation.RunAsync(config, model, data);

        var round = Assert.Single(result.Run.ReadMetrics(), m => m["type"]!.GetValue<string>() == "round");
        Assert.Equal(10, round["sampled"]!.AsArray().Count);
        Assert.Equal(10, round["train_loss"]!.AsObject().Count);
        // SCAFFOLD's c_i exists on disk for the ten clients that trained, for nobody else.
        Assert.Equal(10, Directory.GetDirectories(result.Run.ClientStateDirectory).Length);
        Assert.Equal(Clients, result.FinalScores.Count);
    }
}
