using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FedLlm.Models.Generation.Fused;

/// <summary>
/// y = W·x for a few inputs at once, over a range of W's rows: each weight row is loaded once and multiplied into up to
/// four inputs, so decoding a small batch streams the weights once. Accumulation is fp32 with FMA; bf16 weights are
/// widened in registers, never stored wider.
/// </summary>
internal static unsafe class MatVec
{
    /// <summary>
    /// For rows [<paramref name="rowStart"/>, <paramref name="rowEnd"/>) of <paramref name="weight"/>: output[i·outputStride + r]
    /// = dot(W[r], input[i·Columns ..]) (+ bias[r]) for the <paramref name="count"/> inputs.
    /// </summary>
    public static void Rows(WeightMatrix weight, int rowStart, int rowEnd, float* input, int count, float* output, int outputStride, float* bias)
    {
        int columns = weight.Columns;
        for (int r = rowStart; r < rowEnd; r++)
        {
            float b = bias is null ? 0 : bias[r];
            int i = 0;
            for (; i + 4 <= count; i += 4)
            {
                float* x = input + (long)i * columns;
                var (d0, d1, d2, d3) = weight.IsBf16
                    ? Dot4(weight.Bf16Row(r), x, columns)
                    : Dot4(weight.Fp32Row(r), x, columns);
                output[(long)i * outputStride + r] = d0 + b;
                output[(long)(i + 1) * outputStride + r] = d1 + b;
                output[(long)(i + 2) * outputStride + r] = d2 + b;
                output[(long)(i + 3) * outputStride + r] = d3 + b;
            }
            for (; i < count; i++)
            {
                float* x = input + (long)i * columns;
                float d = weight.IsBf16 ? Dot(weight.Bf16Row(r), x, columns) : Dot(weight.Fp32Row(r), x, columns);
                output[(long)i * outputStride + r] = d + b;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> MultiplyAdd(Vector256<float> a, Vector256<float> b, Vector256<float> sum) =>
        Fma.IsSupported ? Fma.MultiplyAdd(a, b, sum) : sum + a * b;

    public static float Dot(float* w, float* x, int length)
    {
        var a0 = Vector256<float>.Zero; var a1 = a0; var a2 = a0; var a3 = a0;
        int i = 0;
        // Four independent sums hide the FMA latency; one row streams through them 32 floats at a time.
        for (; i + 32 <= length; i += 32)
        {
            a0 = MultiplyAdd(Vector256.Load(w + i), Vector256.Load(x + i), a0);
            a1 = MultiplyAdd(Vector256.Load(w + i + 8), Vector256.Load(x + i + 8), a1);
            a2 = MultiplyAdd(Vector256.Load(w + i + 16), Vector256.Load(x + i + 16), a2);
            a3 = MultiplyAdd(Vector256.Load(w + i + 24), Vector256.Load(x + i + 24), a3);
        }
        for (; i + 8 <= length; i += 8) a0 = MultiplyAdd(Vector256.Load(w + i), Vector256.Load(x + i), a0);
        float sum = Vector256.Sum((a0 + a1) + (a2 + a3));
        for (; i < length; i++) sum += w[i] * x[i];
        return sum;
    }

    public static float Dot(ushort* w, float* x, int length)
    {
        var a0 = Vector256<float>.Zero; var a1 = a0; var a2 = a0; var a3 = a0;
        int i = 0;
        for (; i + 32 <= length; i += 32)
        {
            a0 = MultiplyAdd(Bf16.Load8(w + i), Vector256.Load(x + i), a0);
            a1 = MultiplyAdd(Bf16.Load8(w + i + 8), Vector256.Load(x + i + 8), a1);
            a2 = MultiplyAdd(Bf16.Load8(w + i + 16), Vector256.Load(x + i + 16), a2);
            a3 = MultiplyAdd(Bf16.Load8(w + i + 24), Vector256.Load(x + i + 24), a3);
        }
        for (; i + 8 <= length; i += 8) a0 = MultiplyAdd(Bf16.Load8(w + i), Vector256.Load(x + i), a0);
        float sum = Vector256.Sum((a0 + a1) + (a2 + a3));
        for (; i < length; i++) sum += Bf16.ToSingle(w[i]) * x[i];
        return sum;
    }

    private static (float, float, float, float) Dot4(float* w, float* x, int length)
    {
        var a0 = Vector256<float>.Zero; var a1 = a0; var a2 = a0; var a3 = a0;
        float* x1 = x + length, x2 = x1 + length, x3 = x2 + length;
        int i = 0;
        for (; i + 8 <= length; i += 8)
        {
            var v = Vector256.Load(w + i);
            a0 = MultiplyAdd(v, Vector256.Load(x + i), a0);
            a1 = MultiplyAdd(v, Vector256.Load(x1 + i), a1);
            a2 = MultiplyAdd(v, Vector256.Load(x2 + i), a2);
            a3 = MultiplyAdd(v, Vector256.Load(x3 + i), a3);
        }
        float s0 = Vector256.Sum(a0), s1 = Vector256.Sum(a1), s2 = Vector256.Sum(a2), s3 = Vector256.Sum(a3);
        for (; i < length; i++)
        {
            s0 += w[i] * x[i]; s1 += w[i] * x1[i]; s2 += w[i] * x2[i]; s3 += w[i] * x3[i];
        }
        return (s0, s1, s2, s3);
    }

    private static (float, float, float, float) Dot4(ushort* w, float* x, int length)
    {
        var a0 = Vector256<float>.Zero; var a1 = a0; var a2 = a0; var a3 = a0;
        float* x1 = x + length, x2 = x1 + length, x3 = x2 + length;
        int i = 0;
        for (; i + 8 <= length; i += 8)
        {
            var v = Bf16.Load8(w + i);
            a0 = MultiplyAdd(v, Vector256.Load(x + i), a0);
            a1 = MultiplyAdd(v, Vector256.Load(x1 + i), a1);
            a2 = MultiplyAdd(v, Vector256.Load(x2 + i), a2);
            a3 = MultiplyAdd(v, Vector256.Load(x3 + i), a3);
        }
        float s0 = Vector256.Sum(a0), s1 = Vector256.Sum(a1), s2 = Vector256.Sum(a2), s3 = Vector256.Sum(a3);
        for (; i < length; i++)
        {
            float v = Bf16.ToSingle(w[i]);
            s0 += v * x[i]; s1 += v * x1[i]; s2 += v * x2[i]; s3 += v * x3[i];
        }
        return (s0, s1, s2, s3);
    }
}
