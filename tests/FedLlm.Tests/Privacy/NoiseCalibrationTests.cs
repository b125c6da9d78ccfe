using FedLlm.Privacy.Accounting;

namespace FedLlm.Tests.Privacy;

public class NoiseCalibrationTests
{
    [Theory]
    // Opacus noise search (research notes §6): ε 8, δ 1e-5, q 0.04; 90 epochs = 2250 steps → 1.416; 2000 steps → 1.3562.
    // Opacus stops at an ε tolerance of 0.01 and uses the signed sum, so agreement is expected to ~1%.
    [InlineData(8.0, 1e-5, 0.04, 2250, 1.416)]
    [InlineData(8.0, 1e-5, 0.04, 2000, 1.3562)]
    public void Noise_search_matches_opacus(double epsilon, double delta, double q, long steps, double expectedSigma)
    {
        var options = RdpAccountingOptions.Default with { Summation = FractionalOrderSummation.SignedTerms };
        double sigma = NoiseCalibration.NoiseForEpsilon(epsilon, delta, q, steps, options);
        Assert.True(Math.Abs(sigma - expectedSigma) <= 0.01 * expectedSigma, $"σ = {sigma:R}, expected ≈ {expectedSigma}");
    }

    [Theory]
    [InlineData(1.0, 1e-5, 0.01, 1000)]
    [InlineData(3.0, 1e-6, 0.004, 5000)]
    [InlineData(8.0, 1e-5, 0.1, 100)]
    [InlineData(20.0, 2e-3, 0.01, 1000)] // KnowledgeSG-like: ε 20, δ = 1/N for N = 500
    public void Calibrated_noise_round_trips_to_the_target(double target, double delta, double q, long steps)
    {
        double sigma = NoiseCalibration.NoiseForEpsilon(target, delta, q, steps);
        double epsilon = NoiseCalibration.EpsilonForNoise(sigma, delta, q, steps);
        Assert.InRange(epsilon, target - NoiseCalibration.DefaultEpsilonTolerance, target);
        // Slightly less noise would overshoot: the result is (nearly) the smallest admissible σ.
        Assert.True(NoiseCalibration.EpsilonForNoise(sigma * 0.99, delta, q, steps) > target);
    }

    [Fact]
    public void EpsilonForNoise_matches_the_accountant()
    {
        var accountant = new RdpAccountant();
        accountant.Record(1.5, 0.04, 2250);
        Assert.Equal(accountant.GetEpsilon(1e-5), NoiseCalibration.EpsilonForNoise(1.5, 1e-5, 0.04, 2250));
    }

    [Fact]
    public void Unreachable_or_meaningless_targets_are_explained()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => NoiseCalibration.NoiseForEpsilon(0.0, 1e-5, 0.01, 100));
        var classic = RdpAccountingOptions.Default with { Conversion = EpsilonConversion.Classic };
        var error = Assert.Throws<ArgumentException>(() => NoiseCalibration.NoiseForEpsilon(0.05, 1e-5, 0.01, 100, classic));
        Assert.Contains("larger orders", error.Message);
        Assert.Equal(0.0, NoiseCalibration.NoiseForEpsilon(1.0, 1e-5, 0.0, 100));
    }
}
