using FedLlm.Models;
using static TorchSharp.torch;

namespace FedLlm.Models.Llama;

/// <summary>
/// Rotary position embedding in Hugging Face's "rotate half" layout: dimension i pairs with i + head_dim/2.
/// cos/sin tables are built once in fp32 for every position the model supports.
/// </summary>
public sealed class RotaryEmbedding : IDisposable
{
    private readonly Tensor _cos;
    private readonly Tensor _sin;

    public RotaryEmbedding(ModelConfig config)
    {
        int half = config.HeadDim / 2;
        var inverse = new double[half];
        for (int i = 0; i < half; i++) inverse[i] = 1.0 / Math.Pow(config.RopeTheta, 2.0 * i / config.HeadDim);
        config.RopeScaling?.Apply(inverse);

        MaxPositions = config.MaxPositionEmbeddings;
        var angles = new float[MaxPositions * config.HeadDim];
        for (int p = 0; p < MaxPositions; p++)
        for (int i = 0; i < half; i++)
        {
            float angle = (float)(p * inverse[i]);
            angles[p * config.HeadDim + i] = angle;
            angles[p * config.HeadDim + i + half] = angle;
        }
        using var table = tensor(angles, [MaxPositions, config.HeadDim]);
        _cos = table.cos();
        _sin = table.sin();
    }

    public int MaxPositions { get; }

    /// <summary>The first <paramref name="positions"/> rows of the cos and sin tables [position, head_dim], flat, for
    /// kernels outside libtorch that must rotate exactly as <see cref="Apply(Tensor, long)"/> does.</summary>
    internal (float[] Cos, float[] Sin) Tables(int positions)
    {
        using var cos = _cos.narrow(0, 0, positions).contiguous();
        using var sin = _sin.narrow(0, 0, positions).contiguous();
        return (cos.data<float>().ToArray(), sin.data<float>().ToArray());
    }

    /// <summary>Rotates <paramref name="x"/> [batch, heads, seq, head_dim] whose tokens sit at positions start..start+seq-1.</summary>
    public Tensor Apply(Tensor x, long start)
    {
        long length = x.shape[2];
        if (start + length > MaxPositions)
            throw new ArgumentOutOfRangeException(nameof(start), $"positions up to {start + length} exceed max_position_embeddings ({MaxPositions})");
        using var scope = NewDisposeScope();
        return Rotate(x, _cos.narrow(0, start, length), _sin.narrow(0, start, length)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Rotates <paramref name="x"/> [batch, heads, seq, head_dim] whose token (b, i) sits at <paramref name="positions"/>[b, i]:
    /// each row of a decoding batch has its own offset.
    /// </summary>
    public Tensor Apply(Tensor x, Tensor positions)
    {
        using var scope = NewDisposeScope();
        var flat = positions.flatten();
        long batch = positions.shape[0], length = positions.shape[1];
        var cos = _cos.index_select(0, flat).view(batch, 1, length, -1);
        var sin = _sin.index_select(0, flat).view(batch, 1, length, -1);
        return Rotate(x, cos, sin).MoveToOuterDisposeScope();
    }

    private static Tensor Rotate(Tensor x, Tensor cos, Tensor sin)
    {
        cos = cos.to(x.dtype);
        sin = sin.to(x.dtype);
        long half = x.shape[3] / 2;
        var rotated = cat([-x.narrow(3, half, half), x.narrow(3, 0, half)], 3);
        return (x * cos).PlusInPlace(rotated * sin);
    }

    public void Dispose()
    {
        _cos.Dispose();
        _sin.Dispose();
    }
}
