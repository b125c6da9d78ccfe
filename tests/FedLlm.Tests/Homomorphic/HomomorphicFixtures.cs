using FedLlm.Encryption.Homomorphic;

namespace FedLlm.Tests.Homomorphic;

/// <summary>Parameters shared by the homomorphic tests (building NTT tables once keeps the suite fast).</summary>
internal static class HomomorphicFixtures
{
    /// <summary>Defaults: N = 4096, B = 1, f = 20, K_max = 64, W_max = 1024 (one ~59-bit prime).</summary>
    public static HeParameters Default { get; } = HeParameters.Create();

    /// <summary>f = 22 pushes t·Δ past 2^60, so q is a product of two primes (exercises RNS + CRT).</summary>
    public static HeParameters TwoPrime { get; } = HeParameters.Create(fractionalBits: 22);

    /// <summary>The decoded mean is within 2^−(f+1) of the exact weighted mean, plus the float rounding of the result.</summary>
    public static double Tolerance(HeParameters parameters) =>
        parameters.DecodingErrorBound + Math.Max(1.0, parameters.ClipBound) * Math.Pow(2, -24) + 1e-12;

    /// <summary>The encoding the scheme specifies: clip to [−B, B], then round(x·2^f).</summary>
    public static long Encode(float value, HeParameters parameters) =>
        (long)Math.Round(Math.Clamp(value, -parameters.ClipBound, parameters.ClipBound) * Math.Pow(2, parameters.FractionalBits));

    public static float[] RandomValues(Random random, int length, double bound)
    {
        var values = new float[length];
        for (int i = 0; i < length; i++) values[i] = (float)((random.NextDouble() * 2 - 1) * bound);
        return values;
    }
}

/// <summary>Adversarial error source: every coefficient gets the same extreme error (the scheme's worst case).</summary>
internal sealed class ConstantErrorSampler(long error) : IErrorSampler
{
    public void Sample(Span<long> errors) => errors.Fill(error);
}
