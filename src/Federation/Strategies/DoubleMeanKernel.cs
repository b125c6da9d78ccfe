using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace FedLlm.Federation.Strategies;

/// <summary>
/// Σ_k s_k·x_k[j] / D in double for j in one block, 16 values at a time with the sums in registers: every client's
/// slice is read once, nothing is written but the result. Per value the arithmetic is the plain loop's (start at 0,
/// add s_k·x_k client by client with a multiply then an add, never fused, then one division), so the result is the
/// same bit for bit on every CPU, in vector lanes or in the scalar tail.
/// </summary>
internal static class DoubleMeanKernel
{
    public static void Run(float[][] vectors, double[] scales, double divisor, int start, int end, double[] mean) =>
        Run(vectors, scales, divisor, start, end, new DoubleSink(mean));

    /// <summary>The mean minus <paramref name="origin"/>, subtracted after the division (the plain loop's second pass).</summary>
    public static void RunMinus(float[][] vectors, double[] scales, double divisor, float[] origin, int start, int end, double[] delta) =>
        Run(vectors, scales, divisor, start, end, new DifferenceSink(delta, origin));

    /// <summary>The same sums rounded to float once at the end (the fallback of the float kernel).</summary>
    public static void RunToSingle(float[][] vectors, double[] scales, double divisor, int start, int end, float[] mean) =>
        Run(vectors, scales, divisor, start, end, new SingleSink(mean));

    private static void Run<TSink>(float[][] vectors, double[] scales, double divisor, int start, int end, TSink sink)
        where TSink : struct, ISink
    {
        int j = start;
        if (Vector256.IsHardwareAccelerated)
        {
            var divisors = Vector256.Create(divisor);
            for (; j <= end - 2 * Vector256<float>.Count; j += 2 * Vector256<float>.Count)
            {
                Vector256<double> a0 = Vector256<double>.Zero, a1 = a0, a2 = a0, a3 = a0;
                for (int k = 0; k < vectors.Length; k++)
                {
                    ref float source = ref MemoryMarshal.GetArrayDataReference(vectors[k]);
                    var factor = Vector256.Create(scales[k]);
                    var (l0, h0) = Vector256.Widen(Vector256.LoadUnsafe(ref source, (nuint)j));
                    var (l1, h1) = Vector256.Widen(Vector256.LoadUnsafe(ref source, (nuint)(j + Vector256<float>.Count)));
                    a0 += l0 * factor;
                    a1 += h0 * factor;
                    a2 += l1 * factor;
                    a3 += h1 * factor;
                }
                sink.Store(j, a0 / divisors, a1 / divisors);
                sink.Store(j + Vector256<float>.Count, a2 / divisors, a3 / divisors);
            }
        }
        for (; j < end; j++)
        {
            double sum = 0;
            for (int k = 0; k < vectors.Length; k++) sum += scales[k] * vectors[k][j];
            sink.Store(j, sum / divisor);
        }
    }

    private interface ISink
    {
        /// <summary>Stores 8 consecutive values from <paramref name="index"/>: the lower four, then the upper four.</summary>
        void Store(int index, Vector256<double> lower, Vector256<double> upper);

        void Store(int index, double value);
    }

    private readonly struct DoubleSink(double[] target) : ISink
    {
        public void Store(int index, Vector256<double> lower, Vector256<double> upper)
        {
            ref double first = ref MemoryMarshal.GetArrayDataReference(target);
            lower.StoreUnsafe(ref first, (nuint)index);
            upper.StoreUnsafe(ref first, (nuint)(index + Vector256<double>.Count));
        }

        public void Store(int index, double value) => target[index] = value;
    }

    private readonly struct DifferenceSink(double[] target, float[] origin) : ISink
    {
        public void Store(int index, Vector256<double> lower, Vector256<double> upper)
        {
            ref double first = ref MemoryMarshal.GetArrayDataReference(target);
            var (originLower, originUpper) = Vector256.Widen(Vector256.LoadUnsafe(ref MemoryMarshal.GetArrayDataReference(origin), (nuint)index));
            (lower - originLower).StoreUnsafe(ref first, (nuint)index);
            (upper - originUpper).StoreUnsafe(ref first, (nuint)(index + Vector256<double>.Count));
        }

        public void Store(int index, double value) => target[index] = value - origin[index];
    }

    private readonly struct SingleSink(float[] target) : ISink
    {
        public void Store(int index, Vector256<double> lower, Vector256<double> upper) =>
            Vector256.Narrow(lower, upper).StoreUnsafe(ref MemoryMarshal.GetArrayDataReference(target), (nuint)index);

        public void Store(int index, double value) => target[index] = (float)value;
    }
}
