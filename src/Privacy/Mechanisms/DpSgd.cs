namespace FedLlm.Privacy.Mechanisms;

/// <summary>
/// Framework-free pieces of DP-SGD (Abadi et al. 2016) for the local trainer: per-example clip factors, and noise
/// on the summed clipped gradient. One step is a sampled Gaussian mechanism with q = the Poisson rate and
/// σ = <c>noiseMultiplier</c>; record every step in an <see cref="Accounting.RdpAccountant"/>.
/// </summary>
/// <remarks>
/// Usage per step: draw the batch with <see cref="PoissonSampler"/>; compute each example's gradient norm over all
/// trainable parameters; scale each example's gradient by <see cref="ComputeClipFactors"/>; sum; call
/// <see cref="AddNoise"/>; divide by the <em>expected</em> batch size qN (not the realised one, whose size is
/// itself data-dependent) before the optimiser step.
/// </remarks>
public static class DpSgd
{
    /// <summary>factors[i] = min(1, C/‖g_i‖); 1 for a zero gradient.</summary>
    public static void ComputeClipFactors(ReadOnlySpan<double> perExampleNorms, double maxNorm, Span<double> factors)
    {
        if (factors.Length != perExampleNorms.Length)
            throw new ArgumentException($"factors has {factors.Length} slots for {perExampleNorms.Length} norms.", nameof(factors));
        for (int i = 0; i < perExampleNorms.Length; i++)
        {
            double norm = perExampleNorms[i];
            if (!double.IsFinite(norm) || norm < 0.0)
                throw new ArgumentException($"Per-example gradient norm {i} is {norm}; it must be finite and >= 0.", nameof(perExampleNorms));
            factors[i] = L2Clipping.Factor(norm, maxNorm);
        }
    }

    /// <summary>Float overload of <see cref="ComputeClipFactors(ReadOnlySpan{double}, double, Span{double})"/>.</summary>
    public static float[] ComputeClipFactors(ReadOnlySpan<float> perExampleNorms, double maxNorm)
    {
        var norms = new double[perExampleNorms.Length];
        for (int i = 0; i < norms.Length; i++) norms[i] = perExampleNorms[i];
        var factors = new double[norms.Length];
        ComputeClipFactors(norms, maxNorm, factors);
        // Round down so a clipped gradient scaled in float cannot exceed C.
        var result = new float[factors.Length];
        for (int i = 0; i < factors.Length; i++)
        {
            float f = (float)factors[i];
            result[i] = f > factors[i] ? MathF.BitDecrement(f) : f;
        }
        return result;
    }

    /// <summary>Per-coordinate noise std on the summed gradient: σ·C.</summary>
    public static double NoiseStd(double noiseMultiplier, double maxNorm)
    {
        GaussianNoise.ValidateNoiseMultiplier(noiseMultiplier);
        L2Clipping.ValidateMaxNorm(maxNorm);
        return noiseMultiplier * maxNorm;
    }

    /// <summary>summedGradient[i] += N(0, (σ·C)²).</summary>
    public static void AddNoise(Span<float> summedGradient, double noiseMultiplier, double maxNorm, IGaussianSource noise) =>
        GaussianNoise.Add(summedGradient, NoiseStd(noiseMultiplier, maxNorm), noise);
}
