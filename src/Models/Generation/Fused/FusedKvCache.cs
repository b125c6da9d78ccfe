using System.Runtime.InteropServices;

namespace FedLlm.Models.Generation.Fused;

/// <summary>
/// Keys and values of every slot and layer in ONE native fp32 block laid out [slot][layer][key|value][position][kv_dim],
/// so one sequence's keys for one layer are contiguous rows. The block starts at a modest number of positions and is
/// replaced by one twice as long when a sequence outgrows it, up to the engine's context.
/// </summary>
internal sealed unsafe class FusedKvCache : IDisposable
{
    private readonly int _slots, _layers, _kvDim, _maxPositions;
    private float* _block;

    public FusedKvCache(int slots, int layers, int kvDim, int maxPositions)
    {
        _slots = slots;
        _layers = layers;
        _kvDim = kvDim;
        _maxPositions = maxPositions;
        Allocate(Math.Min(maxPositions, 256));
    }

    public int Positions { get; private set; }

    public float* Keys(int slot, int layer) => _block + Offset(slot, layer, 0, Positions);
    public float* Values(int slot, int layer) => _block + Offset(slot, layer, 1, Positions);

    /// <summary>Makes room for <paramref name="positions"/> positions in every slot, keeping what is stored.</summary>
    public void Reserve(int positions)
    {
        if (positions <= Positions) return;
        if (positions > _maxPositions) throw new InvalidOperationException($"KV cache limit: {positions} positions requested, at most {_maxPositions}");
        int grown = Positions;
        while (grown < positions) grown *= 2;
        float* old = _block;
        int oldPositions = Positions;
        Allocate(Math.Min(grown, _maxPositions));
        long segment = (long)oldPositions * _kvDim;
        for (int slot = 0; slot < _slots; slot++)
        for (int layer = 0; layer < _layers; layer++)
        for (int part = 0; part < 2; part++)
            Buffer.MemoryCopy(old + Offset(slot, layer, part, oldPositions), _block + Offset(slot, layer, part, Positions), segment * sizeof(float), segment * sizeof(float));
        NativeMemory.AlignedFree(old);
    }

    private long Offset(int slot, int layer, int part, int positions) => (((long)slot * _layers + layer) * 2 + part) * positions * _kvDim;

    private void Allocate(int positions)
    {
        Positions = positions;
        nuint bytes = (nuint)(Offset(_slots, 0, 0, positions) * sizeof(float));
        _block = (float*)NativeMemory.AlignedAlloc(bytes, 64);
        NativeMemory.Clear(_block, bytes);
    }

    public void Dispose()
    {
        if (_block is null) return;
        NativeMemory.AlignedFree(_block);
        _block = null;
    }
}
