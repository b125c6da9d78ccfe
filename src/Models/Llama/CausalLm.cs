using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FedLlm.Models.Llama;

/// <summary>
/// A Llama-family decoder-only language model (Llama 1-3, Qwen2, Mistral) whose parameter names match
/// Hugging Face's state-dict keys (<c>model.layers.{i}.self_attn.q_proj.weight</c>, <c>lm_head.weight</c>, ...).
/// </summary>
public sealed class CausalLm : nn.Module
{
    private readonly DecoderStack _model;
    private readonly Projection? _lmHead;
    private readonly RotaryEmbedding _rope;

    public CausalLm(ModelConfig config, ScalarType dtype) : base(nameof(CausalLm))
    {
        if (dtype is not (ScalarType.Float32 or ScalarType.BFloat16))
            throw new ArgumentException($"Base weights run in float32 or bfloat16 on CPU, not {dtype}.", nameof(dtype));
        Config = config;
        DType = dtype;
        _model = new DecoderStack(config, dtype);
        register_module("model", _model);
        if (!config.TieWordEmbeddings)
        {
            _lmHead = new Projection(config.HiddenSize, config.VocabSize, hasBias: false, dtype);
            register_module("lm_head", _lmHead);
        }
        _rope = new RotaryEmbedding(config);
    }

    public ModelConfig Config { get; }
    public ScalarType DType { get; }
    public IReadOnlyList<DecoderLayer> Layers => _model.Layers;
    public Parameter EmbedTokens => _model.EmbedTokens;

    /// <summary>Every projection with its Hugging Face module path (e.g. <c>model.layers.0.self_attn.q_proj</c>), in layer order.</summary>
    public IEnumerable<(string Path, Projection Projection)> Projections()
    {
        for (int i = 0; i < _model.Layers.Count; i++)
        {
            var layer = _model.Layers[i];
            string prefix = $"model.layers.{i}";
            yield return ($"{prefix}.self_attn.q_proj", layer.SelfAttention.QProj);
            yield return ($"{prefix}.self_attn.k_proj", layer.SelfAttention.KProj);
            yield return ($"{prefix}.self_attn.v_proj", layer.SelfAttention.VProj);
            yield return ($"{prefix}.self_attn.o_proj", layer.SelfAttention.OProj);
            yield return ($"{prefix}.mlp.gate_proj", layer.Mlp.GateProj);
            yield return ($"{prefix}.mlp.up_proj", layer.Mlp.UpProj);
            yield return ($"{prefix}.mlp.down_proj", layer.Mlp.DownProj);
        }
        if (_lmHead is not null) yield return ("lm_head", _lmHead);
    }

    /// <summary>
    /// Logits (fp32) for token ids [batch, seq] placed at positions start.. (start = cache length when a cache is given).
    /// With a cache, keys/values of these tokens are appended to it.
    /// </summary>
    public Tensor Forward(Tensor inputIds, KvCache? cache = null)
    {
        using var scope = NewDisposeScope();
        return Logits(Hidden(inputIds, cache)).MoveToOuterDisposeScope();
    }

    /// <summary>fp32 logits from final-norm hidden states: the output projection (or the tied embedding).</summary>
    public Tensor Logits(Tensor normedHidden)
    {
        var embed = _model.EmbedTokens;
        var logits = _lmHead is not null ? _lmHead.forward(normedHidden)
            : embed.dtype == ScalarType.BFloat16 ? BFloat16Compute.Linear(normedHidden, embed, null)
            : nn.functional.linear(normedHidden, embed);
        return logits.to(ScalarType.Float32);
    }

    /// <summary>The norm applied after the last decoder layer.</summary>
    public RmsNorm FinalNorm => _model.Norm;

    internal RotaryEmbedding Rope => _rope;

    /// <summary>Final-norm hidden states [batch, seq, hidden], before the output projection.</summary>
    public Tensor Hidden(Tensor inputIds, KvCache? cache = null)
    {
        using var scope = NewDisposeScope();
        long start = cache?.Length ?? 0;
        var hidden = _model.EmbedTokens.index_select(0, inputIds.flatten()).view(inputIds.shape[0], inputIds.shape[1], -1);
        foreach (var layer in _model.Layers) hidden = layer.Forward(hidden, _rope, start, cache);
        cache?.Advance(inputIds.shape[1]);
        return _model.Norm.forward(hidden).MoveToOuterDisposeScope();
    }

    public KvCache CreateCache(long batch, long capacity) =>
        new(Config, batch, Math.Min(capacity, Config.MaxPositionEmbeddings), DType);

    /// <summary>Fills every parameter as Hugging Face's initialiser does: N(0, std) for projections and embeddings, ones for norms.</summary>
    public void InitialiseRandom(Generator generator, double std = 0.02)
    {
        using var noGrad = no_grad();
        foreach (var (name, parameter) in named_parameters())
        {
            if (name.EndsWith("norm.weight", StringComparison.Ordinal)) parameter.fill_(1);
            else if (name.EndsWith(".bias", StringComparison.Ordinal)) parameter.zero_();
            else
            {
                using var sample = normal(0, std, parameter.shape, dtype: ScalarType.Float32, generator: generator);
                parameter.copy_(sample);
            }
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _rope.Dispose();
        base.Dispose(disposing);
    }

    /// <summary>The <c>model.</c> sub-module: embeddings, decoder layers, final norm.</summary>
    private sealed class DecoderStack : nn.Module
    {
        public DecoderStack(ModelConfig config, ScalarType dtype) : base(nameof(DecoderStack))
        {
            EmbedTokens = new Parameter(empty(config.VocabSize, config.HiddenSize, dtype: dtype), requires_grad: false);
            register_parameter("embed_tokens.weight", EmbedTokens);
            var layers = new DecoderLayer[config.NumHiddenLayers];
            for (int i = 0; i < layers.Length; i++) layers[i] = new DecoderLayer(config, i, dtype);
            Layers = layers;
            register_module("layers", nn.ModuleList(layers));
            Norm = new RmsNorm(config.HiddenSize, config.RmsNormEps, dtype);
            register_module("norm", Norm);
        }

        public Parameter EmbedTokens { get; }
        public IReadOnlyList<DecoderLayer> Layers { get; }
        public RmsNorm Norm { get; }
    }
}
