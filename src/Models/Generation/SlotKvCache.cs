using FedLlm.Models.Llama;
using static TorchSharp.torch;

namespace FedLlm.Models.Generation;

/// <summary>
/// Keys and values of many sequences, one slot each, per layer as [slots, positions, kv_heads, head_dim]: a decoding
/// step writes every row's new token with one indexed copy and reads the occupied slots as one view. Slots and positions
/// grow by doubling on demand, so memory follows use rather than the worst case.
/// </summary>
internal sealed class SlotKvCache : IDisposable
{
    private readonly ModelConfig _config;
    private readonly int _maxSlots;
    private readonly int _maxPositions;
    private Tensor[] _keys;
    private Tensor[] _values;

    public SlotKvCache(ModelConfig config, ScalarType dtype, int maxSlots, int maxPositions)
    {
        _config = config;
        _maxSlots = maxSlots;
        _maxPositions = maxPositions;
        DType = dtype;
        _keys = [];
        _values = [];
    }

    public ScalarType DType { get; }
    public int Slots { get; private set; }
    public int Positions { get; private set; }

    public Tensor Keys(int layer) => _keys[layer];
    public Tensor Values(int layer) => _values[layer];

    /// <summary>Makes room for at least <paramref name="slots"/> sequences of <paramref name="positions"/> tokens, keeping what is stored.</summary>
    public void Reserve(int slots, int positions)
    {
        if (slots <= Slots && positions <= Positions) return;
        int newSlots = Math.Min(_maxSlots, Grow(Slots, slots, 1));
        int newPositions = Math.Min(_maxPositions, Grow(Positions, positions, 16));
        if (newSlots < slots || newPositions < positions)
            throw new InvalidOperationException($"KV cache limit: {slots} x {positions} requested, at most {_maxSlots} x {_maxPositions}");
        using var scope = NewDisposeScope();
        var keys = new Tensor[_config.NumHiddenLayers];
        var values = new Tensor[_config.NumHiddenLayers];
        for (int layer = 0; layer < keys.Length; layer++)
        {
            // Zeros, not empty: stale positions are masked out of attention, but a masked NaN would still poison the sum.
            keys[layer] = zeros(newSlots, newPositions, _config.NumKeyValueHeads, _config.HeadDim, dtype: DType);
            values[layer] = zeros(newSlots, newPositions, _config.NumKeyValueHeads, _config.HeadDim, dtype: DType);
            keys[layer].DetachFromDisposeScope();
            values[layer].DetachFromDisposeScope();
            if (Slots > 0)
            {
                keys[layer].narrow(0, 0, Slots).narrow(1, 0, Positions).copy_(_keys[layer]);
                values[layer].narrow(0, 0, Slots).narrow(1, 0, Positions).copy_(_values[layer]);
            }
        }
        Dispose();
        _keys = keys;
        _values = values;
        Slots = newSlots;
        Positions = newPositions;
    }

    /// <summary>Copies the first <paramref name="length"/> positions of slot <paramref name="from"/> into slot <paramref name="to"/>.</summary>
    public void Move(int from, int to, int length)
    {
        if (length == 0) return;
        using var scope = NewDisposeScope();
        for (int layer = 0; layer < _keys.Length; layer++)
        {
            _keys[layer][to].narrow(0, 0, length).copy_(_keys[layer][from].narrow(0, 0, length));
            _values[layer][to].narrow(0, 0, length).copy_(_values[layer][from].narrow(0, 0, length));
        }
    }

    private static int Grow(int current, int needed, int minimum)
    {
        int size = Math.Max(current, minimum);
        while (size < needed) size *= 2;
        return size;
    }

    public void Dispose()
    {
        foreach (var t in _keys) t.Dispose();
        foreach (var t in _values) t.Dispose();
    }
}
