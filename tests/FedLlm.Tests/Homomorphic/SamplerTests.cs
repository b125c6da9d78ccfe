using FedLlm.Encryption.Homomorphic;

namespace FedLlm.Tests.Homomorphic;

public class SamplerTests
{
    [Theory]
    [InlineData(1073692673UL)] // 31-bit prime: 32-bit keystream words
    [InlineData(576460752303415297UL)] // 59-bit prime: 64-bit keystream words
    public void MaskExpansionIsDeterministicPerChunkAndPrimeAndLooksUniform(ulong prime)
    {
        byte[] seed = [.. Enumerable.Range(0, 32).Select(i => (byte)i)];
        using var expander = new MaskExpander(seed);
        using var again = new MaskExpander(seed);
        var first = new ulong[8192];
        var repeat = new ulong[8192];
        var otherChunk = new ulong[8192];
        var otherPrime = new ulong[8192];
        expander.Expand(3, 0, prime, first);
        again.Expand(3, 0, prime, repeat);
        expander.Expand(4, 0, prime, otherChunk);
        expander.Expand(3, 1, prime, otherPrime);

        Assert.Equal(first, repeat);
        Assert.NotEqual(first, otherChunk);
        Assert.NotEqual(first, otherPrime);
        Assert.All(first, value => Assert.True(value < prime));
        // Mean of 8192 uniform draws: p/2 with standard deviation p/√(12·8192) ≈ 0.0032·p; allow six.
        double mean = first.Average(value => value / (double)prime);
        Assert.InRange(mean, 0.5 - 0.02, 0.5 + 0.02);
        // Top and bottom halves of the bit range both occur (the mask keeps all bits of p).
        Assert.Contains(first, value => value > prime / 4 * 3);
        Assert.Contains(first, value => value < prime / 4);
    }

    [Fact]
    public void CenteredBinomialErrorsAreBoundedWithTheStatedVariance()
    {
        var errors = new long[200_000];
        new CenteredBinomialSampler().Sample(errors);
        Assert.All(errors, e => Assert.InRange(e, -HeParameters.ErrorBound, HeParameters.ErrorBound));
        double mean = errors.Average();
        double variance = errors.Average(e => (e - mean) * (e - mean));
        Assert.InRange(mean, -0.05, 0.05);
        Assert.InRange(variance, 10.5 * 0.97, 10.5 * 1.03);
    }
}
