using System.Numerics.Tensors;

namespace FedLlm.Bench;

/// <summary>
/// This machine's read bandwidth, the physical limit of any pass that streams memory: a vectorised sum over buffers
/// spread across every core. Suites time <see cref="Sum"/> interleaved with what they compare against it.
/// </summary>
public static class ReadBandwidth
{
    /// <summary>Sums every buffer, one per task on all cores; returns the total so the reads cannot be elided.</summary>
    public static double Sum(IReadOnlyList<float[]> buffers)
    {
        double total = 0;
        object gate = new();
        Parallel.ForEach(buffers, () => 0.0, (buffer, _, local) => local + TensorPrimitives.Sum<float>(buffer),
            local => { lock (gate) total += local; });
        return total;
    }

    /// <summary>Read bandwidth in bytes/s: <see cref="Sum"/> over 320 MB (8 × 10M floats), fastest of 5 after a warm-up.</summary>
    public static double Measure()
    {
        var buffers = Enumerable.Range(0, 8).Select(i =>
        {
            var buffer = new float[10_000_000];
            Array.Fill(buffer, i + 1);
            return buffer;
        }).ToArray();
        double seconds = Bench.Measure.InterleavedMinimumSeconds([() => Sum(buffers)], warmup: 1, repeats: 5)[0];
        return buffers.Sum(b => (double)b.Length * sizeof(float)) / seconds;
    }

    /// <summary><paramref name="bytes"/> of filled fp32 buffers in 64 MB pieces: far beyond any cache, pages mapped.</summary>
    public static float[][] Buffers(long bytes)
    {
        const int piece = 16 << 20;
        int count = (int)Math.Max(1, bytes / (piece * (long)sizeof(float)));
        return Enumerable.Range(0, count).Select(i =>
        {
            var buffer = new float[piece];
            Array.Fill(buffer, i + 1);
            return buffer;
        }).ToArray();
    }
}
