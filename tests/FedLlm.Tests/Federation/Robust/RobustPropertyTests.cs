using FedLlm.Federation.Robust;
using FedLlm.Federation.Strategies;
using FedLlm.Foundation.Randomness;
using FsCheck;
using FsCheck.Xunit;

namespace FedLlm.Tests.Federation.Robust;

/// <summary>The guarantees the rules are chosen for, on random rounds: f arbitrarily bad clients do not move the result out of the benign range.</summary>
public class RobustPropertyTests
{
    /// <summary>A round of <paramref name="benign"/> updates in [−1, 1]^P and <paramref name="malicious"/> ones far away, in shuffled order.</summary>
    private static (ClientUpdate[] Updates, HashSet<int> Malicious) Round(ulong seed, int benign, int malicious, int length, double outlierScale)
    {
        var random = new Xoshiro256StarStar(seed);
        var updates = new List<ClientUpdate>();
        for (int i = 0; i < benign + malicious; i++)
        {
            bool bad = i >= benign;
            float[] w = [.. Enumerable.Range(0, length).Select(_ => (float)(bad
                ? (random.NextDouble() < 0.5 ? -1 : 1) * outlierScale * (1 + random.NextDouble())
                : 2 * random.NextDouble() - 1))];
            updates.Add(new ClientUpdate(i, 1 + random.NextInt(100), w));
        }
        ClientUpdate[] shuffled = [.. updates];
        random.Shuffle(shuffled.AsSpan());
        return (shuffled, [.. Enumerable.Range(benign, malicious)]);
    }

    private static bool WithinBenignRange(float[] result, IEnumerable<ClientUpdate> updates, HashSet<int> malicious)
    {
        var benign = updates.Where(u => !malicious.Contains(u.ClientId)).ToList();
        return Enumerable.Range(0, result.Length).All(j =>
            result[j] >= benign.Min(u => u.Weights[j]) && result[j] <= benign.Max(u => u.Weights[j]));
    }

    [Property(MaxTest = 60)]
    public bool MedianIgnoresAMinorityOfHugeOutliers(ulong seed, PositiveInt f, PositiveInt length)
    {
        int bad = 1 + f.Get % 4;
        var (updates, malicious) = Round(seed, bad + 1 + (int)(seed % 3), bad, 1 + length.Get % 8, 1e30);
        float[] result = new CoordinateMedianAggregator().Aggregate(0, new float[updates[0].Weights.Length], updates).Updates[0].Weights;
        return WithinBenignRange(result, updates, malicious);
    }

    [Property(MaxTest = 60)]
    public bool TrimmedMeanIgnoresAsManyOutliersAsItTrims(ulong seed, PositiveInt f, PositiveInt length)
    {
        int bad = 1 + f.Get % 3;
        int n = 2 * bad + 1 + (int)(seed % 4);
        var (updates, malicious) = Round(seed, n - bad, bad, 1 + length.Get % 8, 1e30);
        double beta = (double)bad / n + 1e-9; // ⌊β·n⌋ = f
        float[] result = new TrimmedMeanAggregator(beta).Aggregate(0, new float[updates[0].Weights.Length], updates).Updates[0].Weights;
        return WithinBenignRange(result, updates, malicious);
    }

    [Property(MaxTest = 60)]
    public bool KrumNeverPicksAnOutlierWhenNExceeds2FPlus2(ulong seed, PositiveInt f, PositiveInt extra, PositiveInt length)
    {
        int bad = f.Get % 4;
        int n = 2 * bad + 3 + extra.Get % 4;
        var (updates, malicious) = Round(seed, n - bad, bad, 1 + length.Get % 8, 1e3);
        RobustAggregation krum = KrumAggregator.Krum(bad).Aggregate(0, new float[updates[0].Weights.Length], updates);
        RobustAggregation multi = KrumAggregator.MultiKrum(bad).Aggregate(0, new float[updates[0].Weights.Length], updates);
        return krum.Decision.Kept!.Concat(multi.Decision.Kept!).All(id => !malicious.Contains(id));
    }

    [Property(MaxTest = 30)]
    public bool BulyanStaysInTheBenignRange(ulong seed, PositiveInt f, PositiveInt length)
    {
        int bad = 1 + f.Get % 2;
        var (updates, malicious) = Round(seed, 3 * bad + 3, bad, 1 + length.Get % 8, 1e3);
        RobustAggregation result = new BulyanAggregator(bad).Aggregate(0, new float[updates[0].Weights.Length], updates);
        // Repeated Krum may select an outlier (two close outliers are each other's nearest neighbour once few remain);
        // the β values nearest each coordinate's median are still benign.
        return WithinBenignRange(result.Updates[0].Weights, updates, malicious);
    }

    [Property(MaxTest = 40)]
    public bool NormBoundLeavesNoUpdateAboveTheBound(ulong seed, PositiveInt count, PositiveInt length)
    {
        var (updates, _) = Round(seed, 1 + count.Get % 6, 1, 1 + length.Get % 8, 50);
        float[] global = [.. updates[0].Weights.Select((_, j) => 0.25f * j)];
        const double bound = 1.5;
        RobustAggregation result = NormBoundAggregator.Fixed(bound).Aggregate(0, global, updates);
        // float rounding of w + s·Δ may leave a few ulp above the bound; nothing more.
        return result.Updates.All(u => Math.Sqrt(u.Weights.Select((w, j) => ((double)w - global[j]) * (w - global[j])).Sum()) <= bound * (1 + 1e-5));
    }

    [Property(MaxTest = 200)]
    public bool RelativeNormBoundIsTheFactorTimesTheMedianNorm(NonEmptyArray<byte> sizes)
    {
        // Small integer norms make ties and even counts common; the expected median comes from a plain sort.
        ClientUpdate[] updates = [.. sizes.Get.Take(40).Select((size, i) => new ClientUpdate(i, 1, [size % 7, 0, 0, 0]))];
        double[] norms = [.. updates.Select(u => (double)u.Weights[0]).Order()];
        int n = norms.Length;
        double median = n % 2 == 1 ? norms[n / 2] : (norms[n / 2 - 1] + norms[n / 2]) / 2;
        RobustAggregation result = NormBoundAggregator.RelativeToMedian(2).Aggregate(0, new float[4], updates);
        return result.Decision.Values["norm_bound"] == 2 * median;
    }

    [Property(MaxTest = 30)]
    public bool DncIsDeterministicForASeedAndDropsFarOutliers(ulong seed, PositiveInt length)
    {
        var (updates, malicious) = Round(seed, 6, 1, 4 + length.Get % 5, 1e3);
        var first = new DivideAndConquerAggregator(f: 1, runSeed: seed, sampledDimensions: 3).Aggregate(2, new float[updates[0].Weights.Length], updates);
        var again = new DivideAndConquerAggregator(f: 1, runSeed: seed, sampledDimensions: 3).Aggregate(2, new float[updates[0].Weights.Length], updates);
        return first.Decision.Kept!.SequenceEqual(again.Decision.Kept!)
            && first.Decision.PerClient["dnc_score"].SequenceEqual(again.Decision.PerClient["dnc_score"])
            && first.Decision.Kept!.All(id => !malicious.Contains(id));
    }
}
