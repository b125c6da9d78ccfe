using FedLlm.Privacy.Mechanisms;

namespace FedLlm.Tests.Privacy;

public class AdaptiveClippingTests
{
    [Fact]
    public void Update_noise_multiplier_follows_the_split_formula()
    {
        // z_Δ = (z⁻² − (2σ_b)⁻²)^(−1/2); z = 1, σ_b = 5 → (1 − 1/100)^(−1/2).
        Assert.Equal(1.0 / Math.Sqrt(0.99), AdaptiveClipping.SplitUpdateNoiseMultiplier(1.0, 5.0), 1e-14);
        Assert.Equal(0.0, AdaptiveClipping.SplitUpdateNoiseMultiplier(0.0, 0.0));
        Assert.Contains("2σ_b", Assert.Throws<ArgumentException>(() => AdaptiveClipping.SplitUpdateNoiseMultiplier(2.0, 1.0)).Message);
        var clipping = new AdaptiveClipping(noiseMultiplier: 1.0, clientsPerRound: 100);
        Assert.Equal(5.0, clipping.CountNoiseStd); // default σ_b = m/20
        Assert.Equal(0.1, clipping.ClipNorm);      // default C₀
    }

    [Theory]
    [InlineData(0.5, 0.1)]   // start far below the median: C must grow
    [InlineData(0.5, 100.0)] // start far above: C must shrink
    [InlineData(0.8, 1.0)]
    [InlineData(0.2, 1.0)]
    public void Clip_norm_converges_to_the_target_quantile_of_update_norms(double quantile, double initialClipNorm)
    {
        // Synthetic update norms ~ Uniform(0, 10): the γ-quantile is 10γ.
        const int clients = 100;
        var clipping = new AdaptiveClipping(1.0, clients, initialClipNorm, quantile);
        using var noise = new SeededGaussianSource(2024);
        using var norms = new SeededRandomSource(77);
        var trailing = new List<double>();
        for (int round = 0; round < 400; round++)
        {
            int unclipped = 0;
            for (int c = 0; c < clients; c++)
                if (10.0 * norms.NextUnitInterval() <= clipping.ClipNorm) unclipped++;
            clipping.UpdateClipNorm(unclipped, clients, noise);
            if (round >= 300) trailing.Add(clipping.ClipNorm);
        }
        Assert.Equal(10.0 * quantile, trailing.Average(), 0.1 * 10.0 * quantile);
    }

    [Fact]
    public void Clip_norm_moves_down_when_most_updates_are_unclipped()
    {
        var clipping = new AdaptiveClipping(0.0, 10, initialClipNorm: 1.0, countNoiseStd: 0.0);
        using var noise = new SeededGaussianSource(1);
        double fraction = clipping.UpdateClipNorm(10, 10, noise);
        Assert.Equal(1.0, fraction);
        Assert.Equal(Math.Exp(-0.2 * 0.5), clipping.ClipNorm, 1e-15);
        clipping.UpdateClipNorm(0, 10, noise);
        Assert.Equal(1.0, clipping.ClipNorm, 1e-15);
    }

    [Fact]
    public void Aggregate_round_clips_with_the_current_norm_then_adapts()
    {
        var clipping = new AdaptiveClipping(0.0, 2, initialClipNorm: 1.0, countNoiseStd: 0.0);
        using var noise = new SeededGaussianSource(4);
        var aggregate = clipping.AggregateRound([[0.5f, 0f], [0f, 4f]], noise);
        Assert.Equal(0.25f, aggregate[0], 1e-6f); // (0.5 + 0)/2
        Assert.Equal(0.5f, aggregate[1], 1e-6f);  // (0 + 1)/2, second update clipped to C = 1
        Assert.Equal(1.0, clipping.ClipNorm, 1e-15); // one of two unclipped = target 0.5: unchanged
    }
}
