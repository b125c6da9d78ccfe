using static TorchSharp.torch;

namespace FedLlm.Models.Llama;

/// <summary>
/// Preallocated key/value buffers for incremental decoding: each step writes its new keys/values in place
/// instead of concatenating, so decoding does not copy the whole history every token.
/// </summary>
public sealed class KvCache : IDisposable
{
    private readonly Tensor[] _keys;
    private readonly Tensor[] _values;

    public KvCache(ModelConfig config, long batch, long capacity, ScalarType dtype)
    {
        Capacity = capacity;
        DType = dtype;
        _keys = new Tensor[config.NumHiddenLayers];
        _values = new Tensor[config.NumHiddenLayers];
        for (int i = 0; i < config.NumHiddenLayers; i++)
        {
            _keys[i] = zeros(batch, config.NumKeyValueHeads, capacity, config.HeadDim, dtype: dtype);
            _values[i] = zeros(batch, config.NumKeyValueHeads, capacity, config.HeadDim, dtype: dtype);
        }
    }

    public long Capacity { get; }

    public ScalarType DType { get; }

    /// <summary>Number of positions already stored (the next token's position).</summary>
    public long Length { get; private set; }

    /// <summary>Stores keys/values [batch, kv_heads, seq, head_dim] for one layer at the current position and returns all stored so far.</summary>
    internal (Tensor Keys, Tensor Values) Append(int layer, Tensor keys, Tensor values)
    {
        long length = keys.shape[2];
        if (Length + length > Capacity)
            throw new InvalidOperationException($"KV cache capacity {Capacity} exceeded at position {Length + length}");
        _keys[layer].narrow(2, Length, length).copy_(keys);
        _values[layer].narrow(2, Length, length).copy_(values);
        return (_keys[layer].narrow(2, 0, Length + length), _values[layer].narrow(2, 0, Length + length));
    }

    /// <summary>Called once per forward pass after every layer appended.</summary>
    internal void Advance(long length) => Length += length;

    public void Dispose()
    {
        foreach (var t in _keys) t.Dispose();
        foreach (var t in _values) t.Dispose();
    }
}
