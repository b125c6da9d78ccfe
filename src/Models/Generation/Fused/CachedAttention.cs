using System.Runtime.CompilerServices;
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace FedLlm.Models.Generation.Fused;

/// <summary>
/// One token's grouped-query attention over its sequence's cached keys and values (positions 0..visible-1):
/// softmax(q·kᵀ/√d)·v per query head, with query head h reading key/value head h / groups.
/// </summary>
internal static unsafe class CachedAttention
{
    /// <param name="scores">Scratch of at least <paramref name="visible"/> floats.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Attend(float* q, float* keys, float* values, int visible, int heads, int kvHeads, int headDim, float* output, float* scores)
    {
        int groups = heads / kvHeads, kvDim = kvHeads * headDim;
        float scale = 1f / MathF.Sqrt(headDim);
        var weights = new Span<float>(scores, visible);
        for (int h = 0; h < heads; h++)
        {
            float* query = q + h * headDim;
            long headOffset = (long)(h / groups) * headDim;
            float max = float.NegativeInfinity;
            for (int t = 0; t < visible; t++)
            {
                float score = Score(query, keys + t * (long)kvDim + headOffset, headDim) * scale;
                scores[t] = score;
                max = MathF.Max(max, score);
            }
            // Max subtracted first: exp of a raw score could overflow.
            TensorPrimitives.Subtract(weights, max, weights);
            TensorPrimitives.Exp(weights, weights);
            // Normalised as the values are summed, not in a pass of its own.
            float inverseSum = 1f / TensorPrimitives.Sum(weights);
            float* attended = output + h * headDim;
            new Span<float>(attended, headDim).Clear();
            // Inline rather than TensorPrimitives: heads are often 8 floats wide, where a call per position would dominate.
            for (int t = 0; t < visible; t++)
            {
                float p = scores[t] * inverseSum;
                var weight = Vector256.Create(p);
                float* value = values + t * (long)kvDim + headOffset;
                int d = 0;
                for (; d + 8 <= headDim; d += 8)
                    Vector256.Store(MatVec.MultiplyAdd(weight, Vector256.Load(value + d), Vector256.Load(attended + d)), attended + d);
                for (; d < headDim; d++) attended[d] += p * value[d];
            }
        }
    }

    /// <summary>q·k over one head: inline, one accumulator, since heads are short (often 8 floats: one vector).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Score(float* q, float* k, int headDim)
    {
        if (headDim % 8 != 0) return MatVec.Dot(q, k, headDim);
        var sum = Vector256<float>.Zero;
        for (int d = 0; d < headDim; d += 8) sum = MatVec.MultiplyAdd(Vector256.Load(q + d), Vector256.Load(k + d), sum);
        return Vector256.Sum(sum);
    }
}
