using System.Runtime.CompilerServices;
using FedLlm.Models.Llama;

namespace FedLlm.Models.Generation.Fused;

/// <summary>
/// Rotary positions in Hugging Face's rotate-half layout, from <see cref="RotaryEmbedding"/>'s own tables (so rope_theta
/// and rope_scaling apply exactly as on the libtorch path): x[i] pairs with x[i + head_dim/2].
/// </summary>
internal sealed unsafe class Rope
{
    private readonly float[] _cos;
    private readonly float[] _sin;
    private readonly int _headDim;

    public Rope(RotaryEmbedding rotary, int headDim, int positions)
    {
        (_cos, _sin) = rotary.Tables(positions);
        _headDim = headDim;
    }

    /// <summary>Rotates <paramref name="heads"/> consecutive heads at <paramref name="x"/> to position <paramref name="position"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Apply(float* x, int heads, int position)
    {
        int half = _headDim / 2;
        fixed (float* cosTable = _cos, sinTable = _sin)
        {
            float* cos = cosTable + (long)position * _headDim, sin = sinTable + (long)position * _headDim;
            for (int h = 0; h < heads; h++)
            {
                float* head = x + h * _headDim;
                for (int i = 0; i < half; i++)
                {
                    float a = head[i], b = head[i + half];
                    head[i] = a * cos[i] - b * sin[i];
                    head[i + half] = b * cos[i + half] + a * sin[i + half];
                }
            }
        }
    }
}
