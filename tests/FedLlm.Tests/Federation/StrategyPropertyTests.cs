using FedLlm.Federation.Strategies;
using FsCheck;
using FsCheck.Xunit;

namespace FedLlm.Tests.Federation;

public class StrategyPropertyTests
{
    private static float[] ToVector(int[] raw) => [.. raw.Select(v => v / 64f)];

    [Property]
    public bool FedAvgOfIdenticalUpdatesIsThatUpdate(NonEmptyArray<int> raw, PositiveInt clients, PositiveInt sampleSeed)
    {
        float[] weights = ToVector(raw.Get);
        int count = 1 + clients.Get % 8;
        var updates = Enumerable.Range(0, count)
            .Select(i => new ClientUpdate(i, 1 + (sampleSeed.Get * (i + 3)) % 1000, (float[])weights.Clone()))
            .ToList();
        var strategy = StrategyRegistry.Create(new StrategyOptions { Algorithm = "fedavg", TotalClients = count });
        return strategy.Aggregate(0, new float[weights.Length], updates, count).SequenceEqual(weights);
    }

    [Property]
    public bool FedAvgIsAConvexCombination(NonEmptyArray<int> a, NonEmptyArray<int> b, PositiveInt na, PositiveInt nb)
    {
        int length = Math.Min(a.Get.Length, b.Get.Length);
        float[] wa = ToVector(a.Get[..length]);
        float[] wb = ToVector(b.Get[..length]);
        var strategy = StrategyRegistry.Create(new StrategyOptions { Algorithm = "fedavg", TotalClients = 2 });
        float[] mean = strategy.Aggregate(0, new float[length], [new ClientUpdate(0, na.Get, wa), new ClientUpdate(1, nb.Get, wb)], 2);
        // Weights n_a/n_S and n_b/n_S sum to one: the result lies between the inputs, within the float mean's bound
        // (a rounding of the result plus 3 roundings of the spread; see SingleMeanKernel) of the double reference.
        const double u = 1.0 / (1 << 24);
        return Enumerable.Range(0, length).All(j =>
        {
            double exact = ((double)na.Get * wa[j] + (double)nb.Get * wb[j]) / ((double)na.Get + nb.Get);
            double bound = u * Math.Abs(exact) + 4 * u * Math.Abs(wb[j] - (double)wa[j]);
            return mean[j] >= Math.Min(wa[j], wb[j]) && mean[j] <= Math.Max(wa[j], wb[j]) && Math.Abs(mean[j] - exact) <= bound;
        });
    }

    [Property]
    public bool SamplingIsASortedSubsetWithoutReplacement(PositiveInt available, PositiveInt wanted, int round, ulong seed)
    {
        int n = 1 + available.Get % 300;
        int k = 1 + wanted.Get % 300;
        int[] ids = [.. Enumerable.Range(0, n).Select(i => i * 3 + 1)];
        IReadOnlyList<int> sample = ClientSampler.Sample(Math.Abs(round % 10_000), ids, k, seed);
        return sample.Count == Math.Min(n, k)
            && sample.Distinct().Count() == sample.Count
            && sample.SequenceEqual(sample.Order())
            && sample.All(ids.Contains);
    }
}
