using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FedLlm.Models.Generation.Fused;

/// <summary>bfloat16 is the top half of an fp32: widening is a 16-bit shift, exact.</summary>
internal static unsafe class Bf16
{
    public static float ToSingle(ushort value) => BitConverter.Int32BitsToSingle(value << 16);

    /// <summary>Eight bf16 values at <paramref name="source"/> as eight floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load8(ushort* source)
    {
        if (Avx2.IsSupported)
            return Avx2.ShiftLeftLogical(Avx2.ConvertToVector256Int32(source), 16).AsSingle();
        var wide = Vector256.WidenLower(Vector128.Load(source).ToVector256Unsafe());
        return Vector256.ShiftLeft(wide, 16).AsSingle();
    }

    public static void Widen(ReadOnlySpan<ushort> source, Span<float> destination)
    {
        for (int i = 0; i < source.Length; i++) destination[i] = ToSingle(source[i]);
    }
}
