using System.Runtime.InteropServices;

namespace FedLlm.Models.Generation.Fused;

/// <summary>
/// A row-major [rows, columns] weight in fp32 or bf16, seen through a raw pointer. It either borrows the model's own
/// contiguous tensor storage (the model outlives the engine, and base weights are frozen while decoding) or owns a
/// native copy, e.g. a weight with a LoRA update merged in.
/// </summary>
internal sealed unsafe class WeightMatrix : IDisposable
{
    private void* _owned;

    private WeightMatrix(void* data, int rows, int columns, bool bf16, bool owned)
    {
        Data = data;
        Rows = rows;
        Columns = columns;
        IsBf16 = bf16;
        if (owned) _owned = data;
    }

    public void* Data { get; }
    public int Rows { get; }
    public int Columns { get; }
    public bool IsBf16 { get; }

    /// <summary>Bytes streamed by one pass over the weight.</summary>
    public long Bytes => (long)Rows * Columns * (IsBf16 ? 2 : 4);

    public static WeightMatrix Borrow(void* data, int rows, int columns, bool bf16) => new(data, rows, columns, bf16, owned: false);

    /// <summary>Copies fp32 values into memory this matrix owns (64-byte aligned, like libtorch's allocator).</summary>
    public static WeightMatrix CopyOf(ReadOnlySpan<float> values, int rows, int columns)
    {
        if (values.Length != (long)rows * columns) throw new ArgumentException($"expected {rows}x{columns} values, got {values.Length}");
        void* data = NativeMemory.AlignedAlloc((nuint)values.Length * sizeof(float), 64);
        values.CopyTo(new Span<float>(data, values.Length));
        return new WeightMatrix(data, rows, columns, bf16: false, owned: true);
    }

    public float* Fp32Row(int row) => (float*)Data + (long)row * Columns;
    public ushort* Bf16Row(int row) => (ushort*)Data + (long)row * Columns;

    /// <summary>Row <paramref name="row"/> widened to fp32 into <paramref name="destination"/> (an embedding lookup).</summary>
    public void ReadRow(int row, Span<float> destination)
    {
        if (IsBf16) Bf16.Widen(new ReadOnlySpan<ushort>(Bf16Row(row), Columns), destination);
        else new ReadOnlySpan<float>(Fp32Row(row), Columns).CopyTo(destination);
    }

    public void Dispose()
    {
        if (_owned is null) return;
        NativeMemory.AlignedFree(_owned);
        _owned = null;
    }
}
