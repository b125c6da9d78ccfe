using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace FedLlm.Federation.Strategies;

/// <summary>Shared server arithmetic. Sums accumulate in double: with hundreds of clients float sums drift.</summary>
internal static class AggregationMath
{
    /// <summary>
    /// Σ s_i·w_i / Σ s_i with s_i = n_i (weighted) or 1, accumulated in double. Multiplying by the integer n_i
    /// (rather than by n_i/n_S) keeps each product exact, so averaging identical vectors returns them bit for bit.
    /// </summary>
    public static double[] Mean(IReadOnlyList<ClientUpdate> updates, int length, bool weightedBySampleCount)
    {
        return WeightedMean([.. updates.Select(u => u.Weights)], Scales(updates, weightedBySampleCount), length);
    }

    /// <summary><see cref="Mean"/> rounded to float (FedAvg's new global).</summary>
    public static float[] MeanAsSingle(IReadOnlyList<ClientUpdate> updates, int length, bool weightedBySampleCount)
    {
        return WeightedMeanAsSingle([.. updates.Select(u => u.Weights)], Scales(updates, weightedBySampleCount), length);
    }

    private static double[] Scales(IReadOnlyList<ClientUpdate> updates, bool weightedBySampleCount)
    {
        if (weightedBySampleCount && updates.All(u => u.SampleCount == 0))
            throw new ArgumentException("Every client reported 0 samples, so the sample-weighted average is undefined.", nameof(updates));
        return [.. updates.Select(u => weightedBySampleCount ? u.SampleCount : 1.0)];
    }

    /// <summary>
    /// Σ s_i·v_i / D for any non-negative weights s_i, accumulated in double: D = Σ s_i, or a fixed
    /// <paramref name="denominator"/> (DP-FedAvg divides by the expected round size m, not by how many arrived).
    /// </summary>
    public static double[] WeightedMean(IReadOnlyList<float[]> vectors, ReadOnlySpan<double> weights, int length, double? denominator = null)
    {
        var mean = new double[length];
        BlockedMean(vectors, weights, length, denominator, (start, block) => block.CopyTo(mean.AsSpan(start)));
        return mean;
    }

    /// <summary>
    /// <see cref="WeightedMean"/> rounded to float, without the double vector in between (FedAvg's whole step: the
    /// same bits as <c>ToSingle(WeightedMean(...))</c> at a third of the memory traffic).
    /// </summary>
    public static float[] WeightedMeanAsSingle(IReadOnlyList<float[]> vectors, ReadOnlySpan<double> weights, int length)
    {
        var mean = new float[length];
        BlockedMean(vectors, weights, length, null, (start, block) => Narrow(block, mean.AsSpan(start, block.Length)));
        return mean;
    }

    /// <summary>
    /// Σ s_i·v_i / D block by block. Blocks small enough to stay in cache while every client's slice is added run on all
    /// cores; each value is still summed client by client in the same order, with a multiply then an add (no fused
    /// multiply-add), so the result is the same bit for bit as the plain loop on any CPU and any number of threads.
    /// </summary>
    private static void BlockedMean(IReadOnlyList<float[]> vectors, ReadOnlySpan<double> weights, int length, double? denominator,
        Action<int, Span<double>> emit)
    {
        if (vectors.Count != weights.Length) throw new ArgumentException($"{vectors.Count} vectors but {weights.Length} weights");
        double totalWeight = 0;
        foreach (double weight in weights) totalWeight += weight;
        double divisor = denominator ?? totalWeight;
        if (!(divisor > 0)) throw new ArgumentException($"the mean's denominator is {divisor}; it must be positive");
        foreach (var vector in vectors)
            if (vector.Length < length) throw new ArgumentException($"a vector has {vector.Length} values, the mean needs {length}");

        double[] scales = weights.ToArray();
        int blocks = (length + BlockLength - 1) / BlockLength;
        Parallel.For(0, blocks, () => new double[BlockLength], (block, _, scratch) =>
        {
            int start = block * BlockLength, count = Math.Min(BlockLength, length - start);
            var sum = scratch.AsSpan(0, count);
            sum.Clear();
            for (int i = 0; i < vectors.Count; i++) AddScaled(sum, vectors[i].AsSpan(start, count), scales[i]);
            for (int j = 0; j < sum.Length; j++) sum[j] /= divisor;
            emit(start, sum);
            return scratch;
        }, _ => { });
    }

    /// <summary>Values per block of <see cref="BlockedMean"/>: 64 KiB of doubles plus one client's 32 KiB slice.</summary>
    private const int BlockLength = 8192;

    /// <summary>target[j] += scale · source[j], widened to double, in Vector256 lanes where the hardware has them.</summary>
    private static void AddScaled(Span<double> target, ReadOnlySpan<float> source, double scale)
    {
        int j = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var factor = Vector256.Create(scale);
            ref double t = ref MemoryMarshal.GetReference(target);
            ref float s = ref MemoryMarshal.GetReference(source);
            for (; j <= target.Length - Vector256<float>.Count; j += Vector256<float>.Count)
            {
                var (low, high) = Vector256.Widen(Vector256.LoadUnsafe(ref s, (nuint)j));
                (Vector256.LoadUnsafe(ref t, (nuint)j) + low * factor).StoreUnsafe(ref t, (nuint)j);
                (Vector256.LoadUnsafe(ref t, (nuint)(j + Vector256<double>.Count)) + high * factor).StoreUnsafe(ref t, (nuint)(j + Vector256<double>.Count));
            }
        }
        for (; j < target.Length; j++) target[j] += scale * source[j];
    }

    private static void Divide(Span<double> values, double divisor)
    {
        for (int j = 0; j < values.Length; j++) values[j] /= divisor;
    }

    public static float[] ToSingle(ReadOnlySpan<double> values)
    {
        var result = new float[values.Length];
        Narrow(values, result);
        return result;
    }

    /// <summary>(float)value for each value, rounded to nearest like the scalar cast, in Vector256 lanes where available.</summary>
    private static void Narrow(ReadOnlySpan<double> values, Span<float> result)
    {
        int j = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref double v = ref MemoryMarshal.GetReference(values);
            ref float r = ref MemoryMarshal.GetReference(result);
            for (; j <= values.Length - Vector256<float>.Count; j += Vector256<float>.Count)
                Vector256.Narrow(Vector256.LoadUnsafe(ref v, (nuint)j), Vector256.LoadUnsafe(ref v, (nuint)(j + Vector256<double>.Count))).StoreUnsafe(ref r, (nuint)j);
        }
        for (; j < values.Length; j++) result[j] = (float)values[j];
    }

    /// <summary>The pseudo-gradient Δ = mean(w_i) − w, in double.</summary>
    public static double[] MeanDelta(IReadOnlyList<ClientUpdate> updates, ReadOnlySpan<float> global, bool weightedBySampleCount)
    {
        double[] delta = Mean(updates, global.Length, weightedBySampleCount);
        for (int j = 0; j < delta.Length; j++)
        {
            delta[j] -= global[j];
        }
        return delta;
    }

    /// <summary>‖b − a‖₂, accumulated in double; the vectors must have the same length.</summary>
    public static double Distance(ReadOnlySpan<float> a, ReadOnlySpan<float> b) => Math.Sqrt(SquaredDistance(a, b));

    /// <summary>
    /// ‖b − a‖₂² in double. Eight partial sums in a fixed order (two 4-lane double vectors, then the tail) make it
    /// vectorised yet bit-identical on every CPU: software-emulated Vector256 lanes round exactly as hardware ones.
    /// </summary>
    public static double SquaredDistance(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length) throw new ArgumentException($"vectors of {a.Length} and {b.Length} values have no distance");
        return SumOfTerms<SquaredDifference>(a, b);
    }

    /// <summary>a·b in double, with the same fixed-order vectorisation as <see cref="SquaredDistance"/>.</summary>
    public static double Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length) throw new ArgumentException($"vectors of {a.Length} and {b.Length} values have no dot product");
        return SumOfTerms<Product>(a, b);
    }

    /// <summary>Σ term(a_j, b_j) in double; operands are widened before the term so nothing rounds in float.</summary>
    private static double SumOfTerms<TTerm>(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
        where TTerm : IPairTerm
    {
        var low = Vector256<double>.Zero;
        var high = Vector256<double>.Zero;
        ref float x = ref MemoryMarshal.GetReference(a);
        ref float y = ref MemoryMarshal.GetReference(b);
        int i = 0;
        for (; i <= a.Length - Vector256<float>.Count; i += Vector256<float>.Count)
        {
            Vector256<float> u = Vector256.LoadUnsafe(ref x, (nuint)i);
            Vector256<float> v = Vector256.LoadUnsafe(ref y, (nuint)i);
            low += TTerm.Of(Vector256.WidenLower(u), Vector256.WidenLower(v));
            high += TTerm.Of(Vector256.WidenUpper(u), Vector256.WidenUpper(v));
        }
        Vector256<double> lanes = low + high;
        // Lanes added in a fixed order (Vector256.Sum leaves the order to the hardware path).
        double sum = (lanes.GetElement(0) + lanes.GetElement(1)) + (lanes.GetElement(2) + lanes.GetElement(3));
        for (; i < a.Length; i++)
        {
            sum += TTerm.Of(a[i], b[i]);
        }
        return sum;
    }

    private interface IPairTerm
    {
        static abstract Vector256<double> Of(Vector256<double> a, Vector256<double> b);

        static abstract double Of(double a, double b);
    }

    private readonly struct SquaredDifference : IPairTerm
    {
        public static Vector256<double> Of(Vector256<double> a, Vector256<double> b) => (b - a) * (b - a);

        public static double Of(double a, double b) => (b - a) * (b - a);
    }

    private readonly struct Product : IPairTerm
    {
        public static Vector256<double> Of(Vector256<double> a, Vector256<double> b) => a * b;

        public static double Of(double a, double b) => a * b;
    }
}
