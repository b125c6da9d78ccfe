namespace FedLlm.Privacy.Mechanisms;

/// <summary>
/// L2-norm clipping, v ← v·min(1, C/‖v‖). Norms accumulate in double; a vector split over several arrays
/// (e.g. all LoRA tensors of one update) is clipped by its joint norm.
/// </summary>
public static class L2Clipping
{
    /// <summary>‖v‖₂ accumulated in double.</summary>
    public static double Norm(ReadOnlySpan<float> values)
    {
        double sum = 0.0;
        foreach (float x in values) sum += (double)x * x;
        return Math.Sqrt(sum);
    }

    /// <summary>Joint ‖·‖₂ of a vector stored as several parts.</summary>
    public static double Norm(IReadOnlyList<float[]> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        double sum = 0.0;
        foreach (var part in parts)
        {
            double n = Norm(part);
            sum += n * n;
        }
        return Math.Sqrt(sum);
    }

    /// <summary>min(1, C/norm); 1 for a zero vector.</summary>
    public static double Factor(double norm, double maxNorm)
    {
        ValidateMaxNorm(maxNorm);
        if (double.IsNaN(norm) || norm < 0.0)
            throw new ArgumentOutOfRangeException(nameof(norm), norm, "A norm must be >= 0 (NaN or Inf in the vector?).");
        return norm <= maxNorm ? 1.0 : maxNorm / norm;
    }

    /// <summary>
    /// Scales <paramref name="values"/> in place so ‖v‖ ≤ <paramref name="maxNorm"/> holds exactly after float
    /// rounding; returns the factor applied (1 when already within the bound).
    /// </summary>
    public static double Clip(Span<float> values, double maxNorm)
    {
        double norm = Norm(values);
        double factor = ClipFactorOrThrow(norm, maxNorm);
        if (factor == 1.0) return 1.0;
        Scale(values, factor);
        double after = Norm(values);
        while (after > maxNorm)
        {
            double correction = Shrink(after, maxNorm);
            Scale(values, correction);
            factor *= correction;
            after = Norm(values);
        }
        return factor;
    }

    /// <summary>Clips a vector stored as several parts by its joint norm; returns the factor applied.</summary>
    public static double Clip(IReadOnlyList<float[]> parts, double maxNorm)
    {
        double norm = Norm(parts);
        double factor = ClipFactorOrThrow(norm, maxNorm);
        if (factor == 1.0) return 1.0;
        foreach (var part in parts) Scale(part, factor);
        double after = Norm(parts);
        while (after > maxNorm)
        {
            double correction = Shrink(after, maxNorm);
            foreach (var part in parts) Scale(part, correction);
            factor *= correction;
            after = Norm(parts);
        }
        return factor;
    }

    /// <summary>values[i] ← values[i]·factor.</summary>
    public static void Scale(Span<float> values, double factor)
    {
        for (int i = 0; i < values.Length; i++) values[i] = (float)(values[i] * factor);
    }

    internal static void ValidateMaxNorm(double maxNorm)
    {
        if (double.IsNaN(maxNorm) || maxNorm <= 0.0 || double.IsInfinity(maxNorm))
            throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "The clipping norm must be finite and > 0.");
    }

    private static double ClipFactorOrThrow(double norm, double maxNorm)
    {
        if (!double.IsFinite(norm))
            throw new ArgumentException($"Cannot clip a vector whose norm is {norm} (it contains NaN or Inf).");
        return Factor(norm, maxNorm);
    }

    // Rounding to float can leave the norm a few ulp above C; shrink slightly more so sensitivity ≤ C really holds.
    private static double Shrink(double norm, double maxNorm) => maxNorm / norm * (1.0 - 1e-7);
}
