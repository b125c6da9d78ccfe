using System.Runtime.CompilerServices;
using System.Numerics.Tensors;

namespace FedLlm.Models.Generation.Fused;

/// <summary>The element-wise parts of a decoder layer, on one token's fp32 vector at a time.</summary>
internal static unsafe class RowKernels
{
    /// <summary>output = x / rms(x) · weight, with the mean square in fp32 as <see cref="Llama.RmsNorm"/> computes it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RmsNorm(float* x, float* weight, float eps, float* output, int size)
    {
        var input = new ReadOnlySpan<float>(x, size);
        float meanSquare = TensorPrimitives.Dot(input, input) / size;
        var result = new Span<float>(output, size);
        TensorPrimitives.Multiply(input, 1f / MathF.Sqrt(meanSquare + eps), result);
        TensorPrimitives.Multiply(result, new ReadOnlySpan<float>(weight, size), result);
    }

    /// <summary>gate ← silu(gate) · up (SwiGLU); up is overwritten.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void SiluGate(float* gate, float* up, int size)
    {
        var g = new Span<float>(gate, size);
        var u = new Span<float>(up, size);
        // silu(g)·u = sigmoid(g) · (g·u): no temporary needed.
        TensorPrimitives.Multiply(u, g, u);
        TensorPrimitives.Sigmoid(g, g);
        TensorPrimitives.Multiply(g, u, g);
    }

    public static void Add(float* sum, float* addend, int size) =>
        TensorPrimitives.Add(new ReadOnlySpan<float>(sum, size), new ReadOnlySpan<float>(addend, size), new Span<float>(sum, size));
}
