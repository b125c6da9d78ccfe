using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FedLlm.Models.Generation.Fused;

/// <summary>
/// y = W·x for a few inputs at once, over a range of W's rows: each weight row is loaded once and multiplied into up to
/// four inputs, so decoding a small batch streams the weights once. Accumulation is fp32 with FMA; bf16 weights are
/// widened in registers, never stored wider. Hot kernels here and beside are compiled optimised on first call
/// (AggressiveOptimization): unoptimised first-tier code with vector intrinsics is many times slower, and a short
/// decode would be over before tiering caught up.
/// </summary>
internal static unsafe class MatVec
{
    /// <summary>
    /// For rows [<paramref name="rowStart"/>, <paramref name="rowEnd"/>) of <paramref name="weight"/>: output[i·outputStride + r]
    /// = dot(W[r], input[i·Columns ..]) (+ bias[r]) for the <paramref name="count"/> inputs.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rows(WeightMatrix weight, int rowStart, int rowEnd, float* input, int count, float* output, int outputStride, float* bias)
    {
        if (weight.IsBf16) Rows<Bf16Weights>(weight, rowStart, rowEnd, input, count, output, outputStride, bias);
        else Rows<Fp32Weights>(weight, rowStart, rowEnd, input, count, output, outputStride, bias);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows<TWeights>(WeightMatrix weight, int rowStart, int rowEnd, float* input, int count, float* output, int outputStride, float* bias)
        where TWeights : struct, IWeightLoads
    {
        int columns = weight.Columns;
        for (int r = rowStart; r < rowEnd; r++)
        {
            float b = bias is null ? 0 : bias[r];
            void* row = TWeights.Row(weight, r);
            int i = 0;
            for (; i + 4 <= count; i += 4)
            {
                var (d0, d1, d2, d3) = Dot4<TWeights>(row, input + (long)i * columns, columns);
                output[(long)i * outputStride + r] = d0 + b;
                output[(long)(i + 1) * outputStride + r] = d1 + b;
                output[(long)(i + 2) * outputStride + r] = d2 + b;
                output[(long)(i + 3) * outputStride + r] = d3 + b;
            }
            for (; i < count; i++) output[(long)i * outputStride + r] = Dot<TWeights>(row, input + (long)i * columns, columns) + b;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> MultiplyAdd(Vector256<float> a, Vector256<float> b, Vector256<float> sum) =>
        Fma.IsSupported ? Fma.MultiplyAdd(a, b, sum) : sum + a * b;

    public static float Dot(float* w, float* x, int length) => Dot<Fp32Weights>(w, x, length);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Dot<TWeights>(void* w, float* x, int length) where TWeights : struct, IWeightLoads
    {
        var a0 = Vector256<float>.Zero; var a1 = a0; var a2 = a0; var a3 = a0;
        int i = 0;
        // Four independent sums hide the FMA latency; one row streams through them 32 values at a time.
        for (; i + 32 <= length; i += 32)
        {
            a0 = MultiplyAdd(TWeights.Load8(w, i), Vector256.Load(x + i), a0);
            a1 = MultiplyAdd(TWeights.Load8(w, i + 8), Vector256.Load(x + i + 8), a1);
            a2 = MultiplyAdd(TWeights.Load8(w, i + 16), Vector256.Load(x + i + 16), a2);
            a3 = MultiplyAdd(TWeights.Load8(w, i + 24), Vector256.Load(x + i + 24), a3);
        }
        for (; i + 8 <= length; i += 8) a0 = MultiplyAdd(TWeights.Load8(w, i), Vector256.Load(x + i), a0);
        float sum = Vector256.Sum((a0 + a1) + (a2 + a3));
        for (; i < length; i++) sum += TWeights.Load(w, i) * x[i];
        return sum;
    }

    /// <summary>One weight row against four consecutive inputs: each weight vector is loaded once for all four.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (float, float, float, float) Dot4<TWeights>(void* w, float* x, int length) where TWeights : struct, IWeightLoads
    {
        var a0 = Vector256<float>.Zero; var a1 = a0; var a2 = a0; var a3 = a0;
        float* x1 = x + length, x2 = x1 + length, x3 = x2 + length;
        int i = 0;
        for (; i + 8 <= length; i += 8)
        {
            var v = TWeights.Load8(w, i);
            a0 = MultiplyAdd(v, Vector256.Load(x + i), a0);
            a1 = MultiplyAdd(v, Vector256.Load(x1 + i), a1);
            a2 = MultiplyAdd(v, Vector256.Load(x2 + i), a2);
            a3 = MultiplyAdd(v, Vector256.Load(x3 + i), a3);
        }
        float s0 = Vector256.Sum(a0), s1 = Vector256.Sum(a1), s2 = Vector256.Sum(a2), s3 = Vector256.Sum(a3);
        for (; i < length; i++)
        {
            float v = TWeights.Load(w, i);
            s0 += v * x[i]; s1 += v * x1[i]; s2 += v * x2[i]; s3 += v * x3[i];
        }
        return (s0, s1, s2, s3);
    }

    /// <summary>How a weight dtype's values are read as fp32; a struct type argument, so each dtype gets its own compiled loop.</summary>
    private interface IWeightLoads
    {
        static abstract void* Row(WeightMatrix weight, int row);
        static abstract Vector256<float> Load8(void* row, int index);
        static abstract float Load(void* row, int index);
    }

    private readonly struct Fp32Weights : IWeightLoads
    {
        public static void* Row(WeightMatrix weight, int row) => weight.Fp32Row(row);
        public static Vector256<float> Load8(void* row, int index) => Vector256.Load((float*)row + index);
        public static float Load(void* row, int index) => ((float*)row)[index];
    }

    private readonly struct Bf16Weights : IWeightLoads
    {
        public static void* Row(WeightMatrix weight, int row) => weight.Bf16Row(row);
        public static Vector256<float> Load8(void* row, int index) => Bf16.Load8((ushort*)row + index);
        public static float Load(void* row, int index) => Bf16.ToSingle(((ushort*)row)[index]);
    }
}
