using FedLlm.Federation.Strategies;

namespace FedLlm.Tests.Federation;

public class ClientSamplerTests
{
    private static readonly int[] Hundred = [.. Enumerable.Range(0, 100)];

    [Fact]
    public void SameSeedAndRoundGiveTheSameSortedDistinctSample()
    {
        var strategy = StrategyRegistry.Create(new StrategyOptions { Algorithm = "fedavg", TotalClients = 100, ClientsPerRound = 10 });
        IReadOnlyList<int> first = strategy.SampleClients(5, Hundred, 42);
        Assert.Equal(first, strategy.SampleClients(5, Hundred, 42));
        Assert.Equal(first, strategy.SampleClients(5, [.. Hundred.Reverse()], 42));
        Assert.Equal(10, first.Count);
        Assert.Equal(10, first.Distinct().Count());
        Assert.Equal(first.Order(), first);
        Assert.All(first, id => Assert.InRange(id, 0, 99));
        Assert.NotEqual(first, strategy.SampleClients(6, Hundred, 42));
        Assert.NotEqual(first, strategy.SampleClients(5, Hundred, 43));
    }

    [Fact]
    public void EveryoneIsSampledWhenFewerAreAvailable()
    {
        var strategy = StrategyRegistry.Create(new StrategyOptions { Algorithm = "fedavg", TotalClients = 10, ClientsPerRound = 5 });
        Assert.Equal([2, 3, 7], strategy.SampleClients(0, [7, 2, 3], 1));
        var all = StrategyRegistry.Create(new StrategyOptions { Algorithm = "fedavg", TotalClients = 4 });
        Assert.Equal([0, 1, 2, 3], all.SampleClients(9, [3, 1, 0, 2], 1));
    }

    [Fact]
    public void FractionUsesFloorWithAtLeastOne()
    {
        Assert.Equal(10, ClientSampler.SampleSize(100, null, 0.1));
        Assert.Equal(2, ClientSampler.SampleSize(25, null, 0.1));
        Assert.Equal(1, ClientSampler.SampleSize(5, null, 0.1));
        Assert.Equal(5, ClientSampler.SampleSize(5, 8, null));
        Assert.Equal(7, ClientSampler.SampleSize(7, null, null));
    }

    [Fact]
    public void SamplingIsRoughlyUniformAcrossRounds()
    {
        var counts = new int[100];
        for (int round = 0; round < 2000; round++)
        {
            foreach (int id in ClientSampler.Sample(round, Hundred, 10, 2024))
            {
                counts[id]++;
            }
        }
        // Expected 200 per client; binomial sd ≈ 13.4, so ±60 is beyond 4 sd.
        Assert.All(counts, c => Assert.InRange(c, 140, 260));
    }

    [Fact]
    public void DuplicateAvailableIdsAreRejected()
    {
        var error = Assert.Throws<ArgumentException>(() => ClientSampler.Sample(0, [1, 2, 2], 1, 0));
        Assert.Contains("Client id 2 is listed twice", error.Message);
    }
}
