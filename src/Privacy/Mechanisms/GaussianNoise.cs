namespace FedLlm.Privacy.Mechanisms;

/// <summary>Adds i.i.d. Gaussian noise to vectors.</summary>
public static class GaussianNoise
{
    /// <summary>values[i] += N(0, standardDeviation²), drawn in double and rounded to float once.</summary>
    public static void Add(Span<float> values, double standardDeviation, IGaussianSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (double.IsNaN(standardDeviation) || standardDeviation < 0.0 || double.IsInfinity(standardDeviation))
            throw new ArgumentOutOfRangeException(nameof(standardDeviation), standardDeviation, "The noise standard deviation must be finite and >= 0.");
        if (standardDeviation == 0.0) return;
        for (int i = 0; i < values.Length; i++)
            values[i] = (float)(values[i] + standardDeviation * source.NextStandardNormal());
    }

    /// <summary>A noise multiplier σ (noise std in units of the clipping norm) must be finite and >= 0.</summary>
    internal static void ValidateNoiseMultiplier(double noiseMultiplier)
    {
        if (double.IsNaN(noiseMultiplier) || noiseMultiplier < 0.0 || double.IsInfinity(noiseMultiplier))
            throw new ArgumentOutOfRangeException(nameof(noiseMultiplier), noiseMultiplier, "The noise multiplier must be finite and >= 0.");
    }
}
