using FedLlm.Privacy.Mechanisms;

namespace FedLlm.Training.Privacy;

/// <summary>The DP-SGD release: (Σ clipped gradients + N(0, (σC)²)) / expected batch size.</summary>
public static class NoisyGradient
{
    /// <summary>
    /// Turns <paramref name="clippedSum"/> into the private average gradient in place. Dividing by the expected batch
    /// size qN (not the realised one, which is itself data-dependent under Poisson sampling) is what the analysis covers.
    /// </summary>
    public static void Privatize(Span<float> clippedSum, double noiseMultiplier, double maxGradNorm, double expectedBatchSize, IGaussianSource noise)
    {
        if (!double.IsFinite(expectedBatchSize) || expectedBatchSize <= 0)
            throw new ArgumentOutOfRangeException(nameof(expectedBatchSize), expectedBatchSize, "The expected batch size qN must be finite and > 0.");
        DpSgd.AddNoise(clippedSum, noiseMultiplier, maxGradNorm, noise);
        L2Clipping.Scale(clippedSum, 1.0 / expectedBatchSize);
    }
}
