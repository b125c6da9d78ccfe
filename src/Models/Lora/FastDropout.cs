using System.Runtime.InteropServices;
using FedLlm.Foundation.Randomness;
using static TorchSharp.torch;

namespace FedLlm.Models.Lora;

/// <summary>
/// Inverted dropout for adapter inputs, with the mask drawn in parallel by Xoshiro256** instead of libtorch's
/// <c>bernoulli_</c>. On non-Intel CPUs libtorch 2.10 draws a dropout mask element by element from one locked
/// Mersenne Twister (its vectorised MKL path is for Intel CPUs only), which made LoRA dropout a large share of a
/// training step on an AMD EPYC (docs/performance.md). Same distribution as PEFT's <c>nn.Dropout</c>: every element of
/// every adapter's input is kept independently with probability 1 − p and scaled by 1/(1 − p); each adapter draws
/// its own mask, as in PEFT.
/// Reproducibility follows libtorch's global generator as before: each call takes one 63-bit seed from it (so
/// <c>manual_seed</c> still fixes every mask), and the mask is split into fixed chunks, each with its own stream
/// derived from that seed, so the result does not depend on the number of threads.
/// </summary>
public static class FastDropout
{
    private const int ChunkElements = 1 << 16;

    /// <summary>Returns input ⊙ mask / (1 − p) for an fp32 tensor; the mask is a constant for autograd.</summary>
    public static Tensor Apply(Tensor input, double p)
    {
        if (p <= 0) return input.alias();
        using var scope = NewDisposeScope();
        ulong seed = DrawSeed();
        var mask = empty(input.shape, dtype: ScalarType.Float32);
        Fill(mask, seed, p);
        return input.mul(mask).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Fills <paramref name="mask"/> with 1/(1 − p) (kept) or 0 (dropped); P(dropped) = p to within 2⁻³². The same
    /// seed gives the same mask at any <paramref name="maxThreads"/> (−1: all cores).
    /// </summary>
    public static void Fill(Tensor mask, ulong seed, double p, int maxThreads = -1)
    {
        long count = mask.numel();
        // An element is dropped when its 32-bit draw falls below p · 2³².
        uint threshold = (uint)Math.Min(uint.MaxValue, Math.Round(p * 4294967296.0));
        float kept = (float)(1.0 / (1.0 - p));
        int chunks = (int)((count + ChunkElements - 1) / ChunkElements);
        Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = maxThreads }, chunk =>
        {
            var all = MemoryMarshal.Cast<byte, float>(mask.bytes);
            int start = chunk * ChunkElements;
            var values = all.Slice(start, (int)Math.Min(ChunkElements, count - start));
            var random = new Xoshiro256StarStar(SplitMix64.Mix(seed ^ SplitMix64.Mix((ulong)chunk + 1)));
            int i = 0;
            for (; i + 1 < values.Length; i += 2)
            {
                ulong bits = random.NextUInt64();
                values[i] = (uint)bits < threshold ? 0f : kept;
                values[i + 1] = (uint)(bits >> 32) < threshold ? 0f : kept;
            }
            if (i < values.Length) values[i] = (uint)random.NextUInt64() < threshold ? 0f : kept;
        });
    }

    private static ulong DrawSeed()
    {
        using var draw = randint(0L, long.MaxValue, new long[] { 1 }, dtype: ScalarType.Int64);
        return (ulong)draw.item<long>();
    }
}
