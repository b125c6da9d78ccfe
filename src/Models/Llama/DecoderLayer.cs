using FedLlm.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace FedLlm.Models.Llama;

/// <summary>One pre-norm transformer block: x + attn(norm(x)), then x + mlp(norm(x)).</summary>
public sealed class DecoderLayer : nn.Module
{
    private readonly int _index;

    public DecoderLayer(ModelConfig config, int index, ScalarType dtype) : base(nameof(DecoderLayer))
    {
        _index = index;
        InputLayerNorm = new RmsNorm(config.HiddenSize, config.RmsNormEps, dtype);
        SelfAttention = new Attention(config, dtype);
        PostAttentionLayerNorm = new RmsNorm(config.HiddenSize, config.RmsNormEps, dtype);
        Mlp = new FeedForward(config, dtype);
        register_module("input_layernorm", InputLayerNorm);
        register_module("self_attn", SelfAttention);
        register_module("post_attention_layernorm", PostAttentionLayerNorm);
        register_module("mlp", Mlp);
    }

    public RmsNorm InputLayerNorm { get; }
    public Attention SelfAttention { get; }
    public RmsNorm PostAttentionLayerNorm { get; }
    public FeedForward Mlp { get; }

    public Tensor Forward(Tensor hidden, RotaryEmbedding rope, long start, KvCache? cache)
    {
        using var scope = NewDisposeScope();
        var attended = SelfAttention.Forward(InputLayerNorm.forward(hidden), rope, start, cache, _index);
        var residual = hidden.Plus(attended.to(hidden.dtype));
        var output = residual.Plus(Mlp.forward(PostAttentionLayerNorm.forward(residual)).to(hidden.dtype));
        return output.MoveToOuterDisposeScope();
    }
}
