using System.Text;
using FedLlm.Foundation.Randomness;
using FedLlm.Federation.Splits;
using FedLlm.Federation.Client.Algorithms;
using FedLlm.Federation.Strategies;

namespace FedLlm.Tests.Federation;

/// <summary>A Fed-ChatbotPA-shaped federation (747 clients, 9,508 records) driven without per-client model vectors.</summary>
public class LargeNaturalSplitTests
{
    private const int Clients = 747;
    private const int Records = 9_508;
    private const int P = 16;

    private static string SyntheticBenchFile(string path)
    {
        // Every client gets 1 record, the remainder goes to clients with skewed (Zipf-like) probability.
        var rng = new Xoshiro256StarStar(747);
        var counts = Enumerable.Repeat(1, Clients).ToArray();
        for (int extra = Clients; extra < Records; extra++)
        {
            counts[(int)(Clients * Math.Pow(rng.NextDouble(), 3))]++;
        }
        var json = new StringBuilder("{");
        for (int c = 0; c < Clients; c++)
        {
            json.Append(c == 0 ? "" : ",").Append($"\"u{c * 31 % 1000:D4}-{c}\":[");
            for (int r = 0; r < counts[c]; r++)
            {
                json.Append(r == 0 ? "" : ",").Append("{\"prompt\":\"p\",\"chosen\":\"c\",\"rejected\":\"r\"}");
            }
            json.Append(']');
        }
        File.WriteAllText(path, json.Append('}').ToString());
        return path;
    }

    [Fact]
    public void SevenHundredFortySevenClientsTrainWithoutPerClientVectors()
    {
        using var file = new FedLlm.Tests.Infrastructure.TempDirectory();
        var examples = FedLlm.Data.Loading.DatasetLoader.Load<FedLlm.Data.Model.Example>(SyntheticBenchFile(file.File("chatbotPA.json"))).Examples;
        ClientSplit split = NaturalSplitter.ByKey([.. examples.Select(e => e.Metadata.ClientId)], "client");
        Assert.Equal(Clients, split.ClientCount);
        Assert.Equal(Records, split.AssignedCount);
        SplitSummary summary = SplitSummary.Create(split);
        Assert.Equal(1, summary.MinSize);
        Assert.True(summary.MaxSize > 50);

        var strategy = (ScaffoldStrategy)StrategyRegistry.Create(new StrategyOptions { Algorithm = "scaffold", TotalClients = Clients, ClientsPerRound = 10 });
        int[] available = [.. Enumerable.Range(0, split.ClientCount)];
        // c_i lives on disk (the clients' state store) only for clients that have trained; the server keeps O(P) state.
        using var temp = new FedLlm.Tests.Infrastructure.TempDirectory();
        var store = new FedLlm.Federation.Client.ClientStateStore(temp.Path);
        var storedControls = new HashSet<int>();
        float[] global = new float[P];
        var sampledEver = new HashSet<int>();
        for (int round = 0; round < 3; round++)
        {
            RoundPlan plan = strategy.PlanRound(round, global);
            var updates = new List<ClientUpdate>();
            foreach (int id in strategy.SampleClients(round, available, runSeed: 17))
            {
                sampledEver.Add(id);
                using var client = new ScaffoldClient(store.Read(id, ScaffoldClient.ControlKey, round) ?? new float[P], plan.ScaffoldControl!);
                float[] trained = [.. global.Select((w, j) => w - 0.001f * (id % 5 + j) - (float)plan.LearningRate * client.Correction[j])];
                float[] delta = client.Finish(trained, global, stepsRun: 2, plan.LearningRate);
                store.Write(id, ScaffoldClient.ControlKey, round, client.ClientControl);
                storedControls.Add(id);
                updates.Add(new ClientUpdate(id, split.RecordsOf(id).Count, trained,
                    new Dictionary<string, float[]> { [ExchangeKeys.ScaffoldDeltaControl] = delta }));
            }
            Assert.Equal(10, updates.Count);
            global = strategy.Aggregate(round, global, updates, Clients);
        }
        Assert.Equal(sampledEver.Count, storedControls.Count);
        Assert.True(storedControls.Count <= 30);
        Assert.All(global, w => Assert.True(float.IsFinite(w) && w < 0));
        Assert.Contains(strategy.ServerControl.ToArray(), c => c != 0);
    }
}
