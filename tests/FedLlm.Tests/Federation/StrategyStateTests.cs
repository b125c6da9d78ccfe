using FedLlm.Foundation.Randomness;
using FedLlm.Federation.Strategies;

namespace FedLlm.Tests.Federation;

public class StrategyStateTests
{
    private const int P = 37;

    public static TheoryData<string> Algorithms => [.. StrategyRegistry.All.Where(k => k.Capabilities.Baseline != BaselineKind.Central).Select(k => k.Name)];

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void SaveAndLoadContinueBitIdentically(string algorithm)
    {
        var options = new StrategyOptions { Algorithm = algorithm, TotalClients = 5, ClientsPerRound = 3 };
        var rng = new Xoshiro256StarStar(11);
        float[] global = RandomVector(rng);
        ServerStrategy original = StrategyRegistry.Create(options);
        global = RunRound(original, 0, global, rng);
        global = RunRound(original, 1, global, rng);

        using var saved = new MemoryStream();
        original.SaveState(saved);
        ServerStrategy resumed = StrategyRegistry.Create(options);
        saved.Position = 0;
        resumed.LoadState(saved);

        RandomState streamState = rng.State;
        float[] fromOriginal = RunRound(original, 2, global, rng);
        float[] fromResumed = RunRound(resumed, 2, global, new Xoshiro256StarStar(streamState));
        Assert.Equal(fromOriginal, fromResumed);
        Assert.Equal(original.PlanRound(3, fromOriginal).ScaffoldControl, resumed.PlanRound(3, fromResumed).ScaffoldControl);
        Assert.Equal(Serialize(original), Serialize(resumed));
    }

    [Fact]
    public void LoadingAnotherAlgorithmsStateIsRejected()
    {
        var adam = StrategyRegistry.Create(new StrategyOptions { Algorithm = "fedadam", TotalClients = 2 });
        var yogi = StrategyRegistry.Create(new StrategyOptions { Algorithm = "fedyogi", TotalClients = 2 });
        using var state = new MemoryStream(Serialize(adam));
        var error = Assert.Throws<InvalidDataException>(() => yogi.LoadState(state));
        Assert.Contains("saved by 'fedadam'", error.Message);
        Assert.Throws<InvalidDataException>(() => yogi.LoadState(new MemoryStream([1, 2, 3])));
    }

    [Fact]
    public void TruncatedStateIsReported()
    {
        var strategy = StrategyRegistry.Create(new StrategyOptions { Algorithm = "fedadam", TotalClients = 2 });
        strategy.Aggregate(0, [0f, 0f], [new ClientUpdate(0, 1, [1f, 1f])], 2);
        byte[] bytes = Serialize(strategy);
        var error = Assert.Throws<InvalidDataException>(() => strategy.LoadState(new MemoryStream(bytes[..^10])));
        Assert.Contains("fedadam", error.Message);
    }

    private static float[] RunRound(ServerStrategy strategy, int round, float[] global, Xoshiro256StarStar rng)
    {
        RoundPlan plan = strategy.PlanRound(round, global);
        IReadOnlyList<int> clients = strategy.SampleClients(round, [0, 1, 2, 3, 4], 99);
        var updates = new List<ClientUpdate>();
        foreach (int id in clients)
        {
            float[] weights = [.. global.Select(w => w + (float)(0.01 * rng.NextGaussian()))];
            var extras = new Dictionary<string, float[]>();
            if (plan.ScaffoldControl is not null)
            {
                extras[ExchangeKeys.ScaffoldDeltaControl] = RandomVector(rng);
            }
            updates.Add(new ClientUpdate(id, 1 + rng.NextInt(50), weights, extras));
        }
        return strategy.Aggregate(round, global, updates, 5);
    }

    private static float[] RandomVector(Xoshiro256StarStar rng) => [.. Enumerable.Range(0, P).Select(_ => (float)rng.NextGaussian())];

    private static byte[] Serialize(ServerStrategy strategy)
    {
        using var buffer = new MemoryStream();
        strategy.SaveState(buffer);
        return buffer.ToArray();
    }
}
