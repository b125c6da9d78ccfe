using TorchSharp;
using static TorchSharp.torch;

namespace FedLlm.Models.Llama;

/// <summary>Multi-head self-attention with grouped key/value heads (GQA) and rotary positions.</summary>
public sealed class Attention : nn.Module
{
    private readonly ModelConfig _config;

    public Attention(ModelConfig config, ScalarType dtype) : base(nameof(Attention))
    {
        _config = config;
        long qSize = (long)config.NumAttentionHeads * config.HeadDim;
        long kvSize = (long)config.NumKeyValueHeads * config.HeadDim;
        QProj = new Projection(config.HiddenSize, qSize, config.AttentionBias, dtype);
        KProj = new Projection(config.HiddenSize, kvSize, config.AttentionBias, dtype);
        VProj = new Projection(config.HiddenSize, kvSize, config.AttentionBias, dtype);
        // Qwen2 puts biases on q/k/v only; Llama's attention_bias covers o_proj too.
        OProj = new Projection(qSize, config.HiddenSize, config.AttentionBias && config.Architecture != "Qwen2ForCausalLM", dtype);
        register_module("q_proj", QProj);
        register_module("k_proj", KProj);
        register_module("v_proj", VProj);
        register_module("o_proj", OProj);
    }

    public Projection QProj { get; }
    public Projection KProj { get; }
    public Projection VProj { get; }
    public Projection OProj { get; }

    public Tensor Forward(Tensor hidden, RotaryEmbedding rope, long start, KvCache? cache, int layerIndex)
    {
        using var scope = NewDisposeScope();
        long batch = hidden.shape[0], length = hidden.shape[1];
        int heads = _config.NumAttentionHeads, kvHeads = _config.NumKeyValueHeads, headDim = _config.HeadDim;

        var q = QProj.forward(hidden).view(batch, length, heads, headDim).transpose(1, 2);
        var k = KProj.forward(hidden).view(batch, length, kvHeads, headDim).transpose(1, 2);
        var v = VProj.forward(hidden).view(batch, length, kvHeads, headDim).transpose(1, 2);
        q = rope.Apply(q, start);
        k = rope.Apply(k, start);
        if (cache is not null)
        {
            (k, v) = cache.Append(layerIndex, k.to(cache.DType), v.to(cache.DType));
            k = k.to(q.dtype);
            v = v.to(q.dtype);
        }

        long total = k.shape[2];
        k = RepeatKeyValueHeads(k, _config.KeyValueGroups);
        v = RepeatKeyValueHeads(v, _config.KeyValueGroups);

        Tensor attended;
        if (length == 1 || total == length)
        {
            // Decoding one token sees the whole cache; a fresh sequence uses the fused causal kernel.
            attended = nn.functional.scaled_dot_product_attention(q, k, v, is_casual: length > 1);
        }
        else
        {
            // A chunk appended after cached positions: position i of the chunk sees cache + chunk[0..i].
            var mask = ones(length, total, dtype: ScalarType.Bool).tril(total - length);
            attended = nn.functional.scaled_dot_product_attention(q, k, v, attn_mask: mask);
        }
        var merged = attended.transpose(1, 2).reshape(batch, length, heads * headDim);
        return OProj.forward(merged).MoveToOuterDisposeScope();
    }

    /// <summary>Repeats each key/value head for the query heads of its group (GQA), as [batch, heads, seq, head_dim].</summary>
    internal static Tensor RepeatKeyValueHeads(Tensor x, int groups)
    {
        if (groups == 1) return x;
        long batch = x.shape[0], kvHeads = x.shape[1], length = x.shape[2], headDim = x.shape[3];
        return x.unsqueeze(2).expand(batch, kvHeads, groups, length, headDim).reshape(batch, kvHeads * groups, length, headDim);
    }
}
