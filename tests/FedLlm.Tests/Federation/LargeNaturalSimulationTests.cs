using FedLlm.Data.Demo;
using FedLlm.Data.Model;
using FedLlm.Federation.Randomness;
using FedLlm.Federation.Simulation;
using FedLlm.Tests.Infrastructure;

namespace FedLlm.Tests.Federation;

/// <summary>A FedLLM-Bench-sized natural split (747 clients) through the real simulation: one round, ten sampled clients.</summary>
[Collection(SimulationCollection.Name)]
public class LargeNaturalSimulationTests(TinySimulationModel tiny)
{
    private const int Clients = 747;

    /// <summary>Every client gets one record, the rest go to clients with a Zipf-like skew (Fed-ChatbotPA is 13 ± 21 per client).</summary>
    public static IReadOnlyList<InstructionExample> SkewedRecords(int clients, int records, ulong seed)
    {
        var rng = new Xoshiro256StarStar(seed);
        var owner = Enumerable.Range(0, clients).ToList();
        for (int extra = clients; extra < records; extra++) owner.Add((int)(clients * Math.Pow(rng.NextDouble(), 3)));
        var examples = DemoTasks.Generate(records, seed);
        return [.. examples.Select((e, i) => e with { Metadata = e.Metadata with { ClientId = $"user-{owner[i]:D4}" } })];
    }

    [Fact]
    public async Task SevenHundredFortySevenClientsRunARoundWithStateOnlyForTheSampled()
    {
        using var temp = new TempDirectory();
        var config = tiny.Config(temp.Path, "scaffold", "747", rounds: 1) with
        {
            Split = new SplitSection { Method = "natural", Field = "client" },
            Strategy = tiny.Config(temp.Path, "scaffold", "x").Strategy with { ClientsPerRound = 10 },
            Data = tiny.Config(temp.Path, "scaffold", "x").Data with { HeldOutFraction = 0, MaxAccuracyExamplesPerClient = 0 },
        };
        using var model = tiny.Load();
        var data = SimulationData.Prepare(config, SkewedRecords(Clients, 2_000, 747));
        Assert.Equal(Clients, data.Split.ClientCount);
        var result = await new SimulationRunner(config, model, data).RunAsync(resume: false);

        var round = Assert.Single(result.Run.ReadMetrics(), m => m["type"]!.GetValue<string>() == "round");
        Assert.Equal(10, round["sampled"]!.AsArray().Count);
        Assert.Equal(10, round["train_loss"]!.AsObject().Count);
        // SCAFFOLD's c_i exists on disk for the ten clients that trained, for nobody else.
        Assert.Equal(10, Directory.GetDirectories(result.Run.ClientStateDirectory).Length);
        Assert.Equal(Clients, result.FinalScores.Count);
    }
}
