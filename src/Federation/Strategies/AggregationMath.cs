using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace FedLlm.Federation.Strategies;

/// <summary>
/// Shared server arithmetic. Means that feed further double arithmetic (server optimisers, DP noise) accumulate in
/// double; FedAvg's float result is computed in float with a bounded error (<see cref="SingleMeanKernel"/>).
/// </summary>
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

    /// <summary>
    /// The same mean computed in float at memory speed (FedAvg's new global): within a rounding of the result plus a few
    /// ulps of the clients' spread of <see cref="Mean"/>, and identical updates average to themselves exactly.
    /// </summary>
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
    /// Each value is summed client by client with a multiply then an add and one division, so the result equals the plain
    /// double loop bit for bit on any CPU and thread count.
    /// </summary>
    public static double[] WeightedMean(IReadOnlyList<float[]> vectors, ReadOnlySpan<double> weights, int length, double? denominator = null)
    {
        double divisor = Divisor(vectors, weights, length, denominator);
        double[] scales = weights.ToArray();
        float[][] arrays = [.. vectors];
        var mean = GC.AllocateUninitializedArray<double>(length);
        ForEachBlock(length, (start, end) => DoubleMeanKernel.Run(arrays, scales, divisor, start, end, mean));
        return mean;
    }

    /// <summary>
    /// The weighted mean rounded to float in the same pass: the same bits as rounding each value of
    /// <see cref="WeightedMean"/>'s result to float, without writing and re-reading a double vector (robust rules and
    /// DP-FedAvg, whose means must stay the plain loop's).
    /// </summary>
    public static float[] WeightedMeanRoundedToSingle(IReadOnlyList<float[]> vectors, ReadOnlySpan<double> weights, int length, double? denominator = null)
    {
        double divisor = Divisor(vectors, weights, length, denominator);
        double[] scales = weights.ToArray();
        float[][] arrays = [.. vectors];
        var mean = GC.AllocateUninitializedArray<float>(length);
        ForEachBlock(length, (start, end) => DoubleMeanKernel.RunToSingle(arrays, scales, divisor, start, end, mean));
        return mean;
    }

    /// <summary>
    /// Σ s_i·v_i / Σ s_i in float, at memory speed (FedAvg's new global; see <see cref="SingleMeanKernel"/> for the
    /// arithmetic and its error bound). Bit-identical for any thread count: every value's arithmetic is fixed by its
    /// index alone, and the scalar tail rounds exactly as the vector lanes.
    /// </summary>
    public static float[] WeightedMeanAsSingle(IReadOnlyList<float[]> vectors, ReadOnlySpan<double> weights, int length)
    {
        if (vectors.Count == 0) throw new ArgumentException("the mean of no vectors is undefined");
        double divisor = Divisor(vectors, weights, length, null);
        float[] coefficients = SingleMeanKernel.Coefficients(weights, divisor);
        double[] scales = weights.ToArray();
        float[][] arrays = [.. vectors];
        var mean = GC.AllocateUninitializedArray<float>(length);
        ForEachBlock(length, (start, end) =>
        {
            // Values beyond ±1.7e38 can overflow a float difference; such a block is redone in double.
            if (!SingleMeanKernel.Run(arrays, coefficients, start, end, mean))
                DoubleMeanKernel.RunToSingle(arrays, scales, divisor, start, end, mean);
        });
        return mean;
    }

    private static double Divisor(IReadOnlyList<float[]> vectors, ReadOnlySpan<double> weights, int length, double? denominator)
    {
        if (vectors.Count != weights.Length) throw new ArgumentException($"{vectors.Count} vectors but {weights.Length} weights");
        double totalWeight = 0;
        foreach (double weight in weights) totalWeight += weight;
        double divisor = denominator ?? totalWeight;
        if (!(divisor > 0)) throw new ArgumentException($"the mean's denominator is {divisor}; it must be positive");
        foreach (var vector in vectors)
            if (vector.Length < length) throw new ArgumentException($"a vector has {vector.Length} values, the mean needs {length}");
        return divisor;
    }

    /// <summary>
    /// Runs <paramref name="body"/>(start, end) over fixed blocks of <see cref="BlockLength"/> values on all cores. The
    /// kernels compute each value from its index alone, so neither the block size nor the schedule changes a bit.
    /// </summary>
    internal static void ForEachBlock(int length, Action<int, int> body)
    {
        int blocks = (length + BlockLength - 1) / BlockLength;
        if (blocks <= 1)
        {
            body(0, length);
            return;
        }
        Parallel.For(0, blocks, block => body(block * BlockLength, Math.Min(length, (block + 1) * BlockLength)));
    }

    /// <summary>Values per parallel block: large enough that scheduling costs nothing next to 8 clients' 256 KiB reads.</summary>
    internal const int BlockLength = 1 << 16;

    /// <summary>The pseudo-gradient Δ = mean(w_i) − w in double, the subtraction fused into the mean's single pass.</summary>
    public static double[] MeanDelta(IReadOnlyList<ClientUpdate> updates, float[] global, bool weightedBySampleCount)
    {
        float[][] arrays = [.. updates.Select(u => u.Weights)];
        double[] scales = Scales(updates, weightedBySampleCount);
        double divisor = Divisor(arrays, scales, global.Length, null);
        var delta = GC.AllocateUninitializedArray<double>(global.Length);
        ForEachBlock(global.Length, (start, end) => DoubleMeanKernel.RunMinus(arrays, scales, divisor, global, start, end, delta));
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
