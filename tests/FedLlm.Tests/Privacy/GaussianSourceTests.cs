using FedLlm.Privacy.Mechanisms;

namespace FedLlm.Tests.Privacy;

public class GaussianSourceTests
{
    private const int SampleCount = 200_000;

    // For n i.i.d. N(0,1) samples the sample mean has std 1/√n and the sample variance std √(2/n);
    // 5 standard errors keeps the (seeded, hence deterministic) tests far from the edge.
    private static readonly double MeanTolerance = 5.0 / Math.Sqrt(SampleCount);
    private static readonly double VarianceTolerance = 5.0 * Math.Sqrt(2.0 / SampleCount);

    [Theory]
    [InlineData(1UL)]
    [InlineData(42UL)]
    [InlineData(0xDEADBEEFUL)]
    public void Seeded_samples_have_standard_normal_moments(ulong seed)
    {
        using var source = new SeededGaussianSource(seed);
        AssertStandardNormal(source);
    }

    [Fact]
    public void Cryptographic_samples_have_standard_normal_moments() =>
        AssertStandardNormal(new CryptoGaussianSource());

    [Fact]
    public void Same_seed_gives_the_same_stream_and_different_seeds_differ()
    {
        using var a = new SeededGaussianSource(5);
        using var b = new SeededGaussianSource(5);
        using var c = new SeededGaussianSource(6);
        var first = Enumerable.Range(0, 100).Select(_ => a.NextStandardNormal()).ToArray();
        Assert.Equal(first, Enumerable.Range(0, 100).Select(_ => b.NextStandardNormal()).ToArray());
        Assert.NotEqual(first, Enumerable.Range(0, 100).Select(_ => c.NextStandardNormal()).ToArray());
    }

    [Fact]
    public void Seeded_uniform_stream_is_the_documented_aes_ctr_keystream()
    {
        // Keystream block 0 = AES-256_k(0^128) with k = SHA-256(seed as 8 little-endian bytes).
        using var source = new SeededRandomSource(123);
        byte[] key = System.Security.Cryptography.SHA256.HashData(BitConverter.GetBytes(123UL));
        using var aes = System.Security.Cryptography.Aes.Create();
        aes.Key = key;
        byte[] block = aes.EncryptEcb(new byte[16], System.Security.Cryptography.PaddingMode.None);
        Assert.Equal(BitConverter.ToUInt64(block, 0), source.NextUInt64());
        Assert.Equal(BitConverter.ToUInt64(block, 8), source.NextUInt64());
    }

    [Fact]
    public void Uniform_draws_cover_the_unit_interval_evenly()
    {
        using var random = new SeededRandomSource(9);
        var counts = new int[10];
        const int n = 100_000;
        for (int i = 0; i < n; i++)
        {
            double u = random.NextUnitInterval();
            Assert.InRange(u, 0.0, 0.9999999999999999);
            counts[(int)(u * 10)]++;
        }
        // Each bin count is Binomial(n, 0.1): std √(n·0.1·0.9) ≈ 95.
        Assert.All(counts, c => Assert.InRange(c, 10_000 - 500, 10_000 + 500));
    }

    [Fact]
    public void Noise_with_given_std_is_added_to_every_coordinate()
    {
        using var source = new SeededGaussianSource(3);
        var v = Enumerable.Repeat(10f, SampleCount).ToArray();
        GaussianNoise.Add(v, 0.5, source);
        double mean = v.Average(x => (double)x);
        double variance = v.Sum(x => (x - mean) * (x - mean)) / (v.Length - 1);
        Assert.Equal(10.0, mean, 0.5 * MeanTolerance);
        Assert.Equal(0.25, variance, 0.25 * VarianceTolerance);
        GaussianNoise.Add(v.AsSpan(0, 3), 0.0, source);
        Assert.Throws<ArgumentOutOfRangeException>(() => GaussianNoise.Add(v, -1.0, source));
    }

    private static void AssertStandardNormal(IGaussianSource source)
    {
        double sum = 0, sumSquares = 0, sumFourth = 0;
        for (int i = 0; i < SampleCount; i++)
        {
            double z = source.NextStandardNormal();
            sum += z;
            sumSquares += z * z;
            sumFourth += z * z * z * z;
        }
        double mean = sum / SampleCount;
        double variance = sumSquares / SampleCount - mean * mean;
        Assert.Equal(0.0, mean, MeanTolerance);
        Assert.Equal(1.0, variance, VarianceTolerance);
        // Fourth moment 3 (std of its estimate √(96/n) ≈ 0.022): catches a uniform or truncated sampler.
        Assert.Equal(3.0, sumFourth / SampleCount, 5 * Math.Sqrt(96.0 / SampleCount));
    }
}
