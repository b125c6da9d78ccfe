using FedLlm.Encryption.Homomorphic;

namespace FedLlm.Tests.Homomorphic;

public class HeParametersTests
{
    [Theory]
    [InlineData(1024, 27)]
    [InlineData(2048, 54)]
    [InlineData(4096, 109)]
    [InlineData(8192, 218)]
    [InlineData(16384, 438)]
    [InlineData(32768, 881)]
    public void SecurityTableMatchesTheStandard(int ringDegree, int maxBits) =>
        Assert.Equal(maxBits, HeSecurityStandard.MaxModulusBits(ringDegree));

    [Fact]
    public void DefaultsAreSecureAndSatisfyTheOverflowAndNoiseConstraints()
    {
        HeParameters parameters = HomomorphicFixtures.Default;
        Assert.Equal(4096, parameters.RingDegree);
        Assert.Single(parameters.Moduli);
        Assert.True(parameters.ModulusBits <= HeSecurityStandard.MaxModulusBits(4096));
        Assert.True(parameters.CoefficientBits <= 62);
        UInt128 totalWeight = (UInt128)(ulong)parameters.MaxTotalWeight;
        Assert.True(parameters.PlaintextModulus > 2 * totalWeight * (ulong)parameters.EncodedBound);
        Assert.True(parameters.ScalingFactor > 2 * totalWeight * HeParameters.ErrorBound);
        Assert.Equal(parameters.CiphertextModulus / parameters.PlaintextModulus, parameters.ScalingFactor);
    }

    [Fact]
    public void TwoPrimeParametersUseRns()
    {
        HeParameters parameters = HomomorphicFixtures.TwoPrime;
        Assert.Equal(2, parameters.Moduli.Count);
        Assert.Equal(parameters.Moduli[0] * parameters.Moduli[1], parameters.CiphertextModulus);
        Assert.True(parameters.CoefficientBits <= HeParameters.MaxModulusBitLength);
    }

    [Fact]
    public void ModulusAboveTheStandardsLimitIsRefusedAsInsecure()
    {
        // The default encoding needs ~59 bits of q, but N = 2048 allows only 54 at 128-bit security.
        var error = Assert.Throws<ArgumentException>(() => HeParameters.Create(ringDegree: 2048));
        Assert.Contains("insecure", error.Message);
        Assert.Contains("54", error.Message);

        ulong prime40 = ModularArithmetic.FindNttPrimeAtLeast(1UL << 39, 1024);
        error = Assert.Throws<ArgumentException>(() => new HeParameters(1024, [prime40], 3, 0, 1.0, 1, 1));
        Assert.Contains("insecure", error.Message);
        Assert.Contains("N = 1024", error.Message);
    }

    [Theory]
    [InlineData(3000)]
    [InlineData(512)]
    [InlineData(65536)]
    public void UnsupportedRingDegreeIsRefused(int ringDegree)
    {
        var error = Assert.Throws<ArgumentException>(() => HeParameters.Create(ringDegree: ringDegree));
        Assert.Contains($"N = {ringDegree}", error.Message);
    }

    [Fact]
    public void ModuliMustBeDistinctNttFriendlyPrimes()
    {
        ulong p = ModularArithmetic.FindNttPrimeAtLeast(1UL << 30, 4096);
        Assert.Contains("not prime", Assert.Throws<ArgumentException>(() => new HeParameters(4096, [8193], 3, 0, 1, 1, 1)).Message);
        Assert.Contains("≡ 1 mod 2N", Assert.Throws<ArgumentException>(() => new HeParameters(4096, [1_000_000_007], 3, 0, 1, 1, 1)).Message);
        Assert.Contains("repeated", Assert.Throws<ArgumentException>(() => new HeParameters(4096, [p, p], 3, 0, 1, 1, 1)).Message);
    }

    [Fact]
    public void NoiseBudgetThatManyClientsCouldExhaustIsRefused()
    {
        HeParameters sound = HomomorphicFixtures.Default;
        // Same q, but t so large that Δ = ⌊q/t⌋ ≈ 64 cannot absorb K_max·W_max·η of noise.
        var error = Assert.Throws<ArgumentException>(() => new HeParameters(sound.RingDegree, sound.Moduli,
            sound.CiphertextModulus / 64, sound.FractionalBits, sound.ClipBound, sound.MaxClients, sound.MaxWeight));
        Assert.Contains("noise budget exceeded", error.Message);
    }

    [Fact]
    public void PlaintextModulusThatTheWeightedSumCouldWrapIsRefused()
    {
        HeParameters sound = HomomorphicFixtures.Default;
        var error = Assert.Throws<ArgumentException>(() => new HeParameters(sound.RingDegree, sound.Moduli,
            sound.PlaintextModulus, sound.FractionalBits, sound.ClipBound, sound.MaxClients * 2, sound.MaxWeight));
        Assert.Contains("cannot wrap", error.Message);
    }

    [Fact]
    public void EncodingBeyondTheWireLimitIsRefusedWithAHint()
    {
        var error = Assert.Throws<ArgumentException>(() => HeParameters.Create(fractionalBits: 30, maxWeight: 1 << 20));
        Assert.Contains("wire limit", error.Message);
    }

    [Fact]
    public void FingerprintChangesWithEveryParameter()
    {
        HeParameters a = HomomorphicFixtures.Default;
        HeParameters same = new(a.RingDegree, a.Moduli, a.PlaintextModulus, a.FractionalBits, a.ClipBound, a.MaxClients, a.MaxWeight);
        HeParameters otherClip = new(a.RingDegree, a.Moduli, a.PlaintextModulus, a.FractionalBits, a.ClipBound / 2, a.MaxClients, a.MaxWeight);
        Assert.Equal(a.FingerprintHex, same.FingerprintHex);
        Assert.NotEqual(a.FingerprintHex, otherClip.FingerprintHex);
        Assert.NotEqual(a.FingerprintHex, HomomorphicFixtures.TwoPrime.FingerprintHex);
    }
}
