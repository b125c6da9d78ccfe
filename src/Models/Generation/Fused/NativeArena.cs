using System.Runtime.InteropServices;

namespace FedLlm.Models.Generation.Fused;

/// <summary>fp32 buffers in native memory at fixed addresses (kernels keep raw pointers to them), all freed together.</summary>
internal sealed unsafe class NativeArena : IDisposable
{
    private readonly List<nint> _blocks = [];

    public float* Allocate(long count)
    {
        nuint bytes = (nuint)Math.Max(1, count) * sizeof(float);
        void* block = NativeMemory.AlignedAlloc(bytes, 64);
        NativeMemory.Clear(block, bytes);
        _blocks.Add((nint)block);
        return (float*)block;
    }

    public float* CopyOf(ReadOnlySpan<float> values)
    {
        float* block = Allocate(values.Length);
        values.CopyTo(new Span<float>(block, values.Length));
        return block;
    }

    /// <summary>Frees one block early (a cache that grew into a new one).</summary>
    public void Free(float* block)
    {
        if (_blocks.Remove((nint)block)) NativeMemory.AlignedFree(block);
    }

    public void Dispose()
    {
        foreach (nint block in _blocks) NativeMemory.AlignedFree((void*)block);
        _blocks.Clear();
    }
}
