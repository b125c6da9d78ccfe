using System.Runtime.Intrinsics.X86;
using static TorchSharp.torch;

namespace FedLlm.Models;

/// <summary>
/// Where bf16 base weights are multiplied. libtorch 2.10 sends a bf16 matmul to oneDNN only when the CPU has the
/// AVX-512 core subset (AVX512BW + AVX512DQ + AVX512VL, the condition oneDNN's bf16 support requires on x86); on any
/// other x86 CPU (e.g. an AVX2-only AMD EPYC) it falls back to a scalar reference GEMM measured at ≈ 1 GFLOP/s, about
/// 150 times slower than the same product in fp32 (docs/performance.md). There, a bf16 projection widens its weight to
/// fp32 for the product and rounds the result back to bf16: the weights stay bf16 in memory, the arithmetic is the
/// same (bf16 inputs, fp32 accumulation, a bf16 result), and the speed is fp32 GEMM's.
/// Decided once per process from the instruction set, never by timing, so two processes on one machine always take the
/// same path and produce the same bits.
/// </summary>
public static class BFloat16Compute
{
    /// <summary>True when libtorch multiplies bf16 natively at speed; false when products are computed in fp32.</summary>
    public static bool NativeMatmul { get; } = DetectNativeMatmul();

    /// <summary>x·Wᵀ + b for bf16 <paramref name="weight"/> (and bias), returned in bf16, at fp32 GEMM speed where needed.</summary>
    public static Tensor Linear(Tensor input, Tensor weight, Tensor? bias)
    {
        if (NativeMatmul) return nn.functional.linear(input, weight, bias);
        using var scope = NewDisposeScope();
        using var wide = weight.to(ScalarType.Float32);
        using var wideBias = bias?.to(ScalarType.Float32);
        return nn.functional.linear(input.to(ScalarType.Float32), wide, wideBias).to(ScalarType.BFloat16).MoveToOuterDisposeScope();
    }

    private static bool DetectNativeMatmul()
    {
        // Only x86 has the slow fallback we know of; other architectures keep libtorch's own choice.
        if (!X86Base.IsSupported) return true;
        return Avx512BW.IsSupported && Avx512DQ.IsSupported && Avx512F.VL.IsSupported;
    }
}
