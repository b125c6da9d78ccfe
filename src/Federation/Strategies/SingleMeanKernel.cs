using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace FedLlm.Federation.Strategies;

/// <summary>
/// The weighted mean of float vectors in float, anchored on the first vector:
/// m[j] = x₀[j] + Σ_{k≥1} c_k·(x_k[j] − x₀[j]) with c_k = s_k/D rounded to float, summed client by client with fused
/// multiply-adds in registers, 32 values at a time. The implied weight of x₀ is 1 − Σ c_k, so the weights sum to one
/// and identical vectors average to themselves exactly.
/// <para>
/// Error bound (u = 2⁻²⁴, K clients, w_k = s_k/D, spread S = Σ_{k≥1} w_k·|x_k[j] − x₀[j]|):
/// |m[j] − exact| ≤ u·|exact| + (K + 2)·u·S, to first order in u — one rounding of the result plus K + 2 roundings of
/// the clients' spread around x₀ (the difference, the coefficient, and K − 1 fused accumulations). S is at most the
/// largest distance between clients, so the error is a rounding of the result plus a few ulps of how far the clients
/// disagree, whatever their magnitude; the float inputs already carry u relative error each.
/// </para>
/// Every value's arithmetic depends on its index alone, and the scalar tail uses <see cref="MathF.FusedMultiplyAdd"/>
/// like the vector lanes (which fuse in software on CPUs without FMA), so results are bit-identical across thread
/// counts, block sizes and CPUs.
/// </summary>
internal static class SingleMeanKernel
{
    /// <summary>c_k = s_k / D rounded once to float (c₀ is unused: x₀ is the anchor).</summary>
    public static float[] Coefficients(ReadOnlySpan<double> weights, double divisor)
    {
        var coefficients = new float[weights.Length];
        for (int k = 0; k < weights.Length; k++) coefficients[k] = (float)(weights[k] / divisor);
        return coefficients;
    }

    /// <summary>
    /// Writes mean[start..end). False when a value came out non-finite: differences of values beyond ±1.7e38 overflow
    /// in float, so the caller redoes the block in double.
    /// </summary>
    public static bool Run(float[][] vectors, float[] coefficients, int start, int end, float[] mean)
    {
        ref float anchor = ref MemoryMarshal.GetArrayDataReference(vectors[0]);
        ref float target = ref MemoryMarshal.GetArrayDataReference(mean);
        const int width = 8;
        int j = start;
        if (Vector256.IsHardwareAccelerated)
        {
            // x − x is 0 for finite x and NaN otherwise, so one sum tells whether any result overflowed.
            var poison = Vector256<float>.Zero;
            for (; j <= end - 4 * width; j += 4 * width)
            {
                var b0 = Vector256.LoadUnsafe(ref anchor, (nuint)j);
                var b1 = Vector256.LoadUnsafe(ref anchor, (nuint)(j + width));
                var b2 = Vector256.LoadUnsafe(ref anchor, (nuint)(j + 2 * width));
                var b3 = Vector256.LoadUnsafe(ref anchor, (nuint)(j + 3 * width));
                Vector256<float> a0 = Vector256<float>.Zero, a1 = a0, a2 = a0, a3 = a0;
                for (int k = 1; k < vectors.Length; k++)
                {
                    ref float source = ref MemoryMarshal.GetArrayDataReference(vectors[k]);
                    var c = Vector256.Create(coefficients[k]);
                    a0 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref source, (nuint)j) - b0, c, a0);
                    a1 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref source, (nuint)(j + width)) - b1, c, a1);
                    a2 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref source, (nuint)(j + 2 * width)) - b2, c, a2);
                    a3 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref source, (nuint)(j + 3 * width)) - b3, c, a3);
                }
                var r0 = b0 + a0;
                var r1 = b1 + a1;
                var r2 = b2 + a2;
                var r3 = b3 + a3;
                r0.StoreUnsafe(ref target, (nuint)j);
                r1.StoreUnsafe(ref target, (nuint)(j + width));
                r2.StoreUnsafe(ref target, (nuint)(j + 2 * width));
                r3.StoreUnsafe(ref target, (nuint)(j + 3 * width));
                poison += ((r0 - r0) + (r1 - r1)) + ((r2 - r2) + (r3 - r3));
            }
            if (!Vector256.EqualsAll(poison, Vector256<float>.Zero)) return false;
        }
        bool finite = true;
        for (; j < end; j++)
        {
            float x0 = vectors[0][j], sum = 0;
            for (int k = 1; k < vectors.Length; k++) sum = MathF.FusedMultiplyAdd(vectors[k][j] - x0, coefficients[k], sum);
            mean[j] = x0 + sum;
            finite &= float.IsFinite(mean[j]);
        }
        return finite;
    }
}
