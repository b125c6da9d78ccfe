using FedLlm.Foundation.Randomness;
using FedLlm.Training.Examples;

namespace FedLlm.Tests.Federation;

public class RandomnessTests
{
    [Fact]
    public void ExampleOrderDrawsFromTheOneFamilyWithAllSixtyFourSeedBits()
    {
        // 1 and 2^32 fold to the same 32-bit seed (low ^ high): with System.Random they shuffled alike.
        Assert.NotEqual(new ExampleOrder(50, 1).Take(50), new ExampleOrder(50, 1UL << 32).Take(50));
        int[] expected = [.. Enumerable.Range(0, 50)];
        Xoshiro256StarStar.ForPurpose(7, ExampleOrder.RandomPurpose).Shuffle(expected.AsSpan());
        var order = new ExampleOrder(50, 7);
        Assert.Equal(expected, order.Take(50));
        Assert.Equal(Enumerable.Range(0, 50), order.Take(50).Order()); // the next epoch visits every example once more
    }

    [Fact]
    public void SplitMix64MatchesTheReferenceSequence()
    {
        // Reference outputs for seed 1234567 (Vigna's splitmix64.c).
        var generator = new SplitMix64(1234567);
        ulong[] expected = [6457827717110365317, 3203168211198807973, 9817491932198370423, 4593380528125082431, 16408922859458223821];
        Assert.Equal(expected, Enumerable.Range(0, 5).Select(_ => generator.NextUInt64()).ToArray());
    }

    [Fact]
    public void RestoredStateContinuesTheStream()
    {
        var rng = new Xoshiro256StarStar(5);
        rng.NextUInt64();
        RandomState state = rng.State;
        ulong[] tail = [rng.NextUInt64(), rng.NextUInt64(), rng.NextUInt64()];
        var restored = new Xoshiro256StarStar(state);
        ulong[] replayed = [restored.NextUInt64(), restored.NextUInt64(), restored.NextUInt64()];
        Assert.Equal(tail, replayed);

        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            state.WriteTo(writer);
        }
        buffer.Position = 0;
        using var reader = new BinaryReader(buffer);
        Assert.Equal(state, RandomState.ReadFrom(reader));
        Assert.Throws<ArgumentException>(() => new Xoshiro256StarStar(new RandomState(0, 0, 0, 0)));
    }

    [Fact]
    public void DerivedSeedsDependOnEveryPart()
    {
        ulong a = SeedDerivation.Derive(1, "client-sampling", 3);
        Assert.Equal(a, SeedDerivation.Derive(1, "client-sampling", 3));
        Assert.NotEqual(a, SeedDerivation.Derive(2, "client-sampling", 3));
        Assert.NotEqual(a, SeedDerivation.Derive(1, "split-iid", 3));
        Assert.NotEqual(a, SeedDerivation.Derive(1, "client-sampling", 4));
        Assert.Equal(0xCBF29CE484222325UL, SeedDerivation.StableHash(""));
    }

    [Theory]
    [InlineData(0.05)]
    [InlineData(0.5)]
    [InlineData(1.0)]
    [InlineData(4.0)]
    public void GammaHasTheRightMeanAndVariance(double shape)
    {
        var rng = new Xoshiro256StarStar(77);
        const int N = 40_000;
        double[] samples = [.. Enumerable.Range(0, N).Select(_ => rng.NextGamma(shape))];
        double mean = samples.Average();
        double variance = samples.Sum(s => (s - mean) * (s - mean)) / (N - 1);
        // Gamma(k, 1): mean k, variance k; the standard error of the mean is sqrt(k/N).
        Assert.InRange(mean, shape - 5 * Math.Sqrt(shape / N), shape + 5 * Math.Sqrt(shape / N));
        Assert.InRange(variance, 0.85 * shape, 1.15 * shape);
    }

    [Fact]
    public void DirichletSumsToOneEvenForTinyAlpha()
    {
        var rng = new Xoshiro256StarStar(3);
        var p = new double[20];
        rng.NextDirichlet(0.001, p);
        Assert.Equal(1.0, p.Sum(), 12);
        Assert.All(p, x => Assert.True(x >= 0 && double.IsFinite(x)));
        Assert.True(p.Max() > 0.9, "α = 0.001 should put nearly all mass on one component");
    }

    [Fact]
    public void NextIntStaysInRangeAndCoversIt()
    {
        var rng = new Xoshiro256StarStar(9);
        var counts = new int[7];
        for (int i = 0; i < 70_000; i++)
        {
            counts[rng.NextInt(7)]++;
        }
        Assert.All(counts, c => Assert.InRange(c, 9_500, 10_500));
    }
}
