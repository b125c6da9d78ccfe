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
    public static void Attend(float* q, float* keys, float* values, int visible, int heads, int kvHeads, int headDim, float* output, float* scores)
    {
        int groups = heads / kvHeads, kvDim = kvHeads * headDim;
        float scale = 1f / MathF.Sqrt(headDim);
        var weights = new Span<float>(scores, visible);
        for (int h = 0; h < heads; h++)
        {
            float* query = q + h * headDim;
            long headOffset = (long)(h / groups) * headDim;
            for (int t = 0; t < visible; t++) scores[t] = MatVec.Dot(query, keys + t * (long)kvDim + headOffset, headDim) * scale;
            // Max subtracted first: exp of a raw score could overflow.
            TensorPrimitives.Subtract(weights, TensorPrimitives.Max(weights), weights);
            TensorPrimitives.Exp(weights, weights);
            TensorPrimitives.Divide(weights, TensorPrimitives.Sum(weights), weights);
            float* attended = output + h * headDim;
            new Span<float>(attended, headDim).Clear();
            // Inline rather than TensorPrimitives: heads are often 8 floats wide, where a call per position would dominate.
            for (int t = 0; t < visible; t++)
            {
                float p = scores[t];
                var weight = Vector256.Create(p);
                float* value = values + t * (long)kvDim + headOffset;
                int d = 0;
                for (; d + 8 <= headDim; d += 8)
                    Vector256.Store(MatVec.MultiplyAdd(weight, Vector256.Load(value + d), Vector256.Load(attended + d)), attended + d);
                for (; d < headDim; d++) attended[d] += p * value[d];
            }
        }
    }
}
