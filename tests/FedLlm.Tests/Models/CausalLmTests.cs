using FedLlm.Models.Llama;
using TorchSharp;
using static TorchSharp.torch;

namespace FedLlm.Tests.Models;

public class CausalLmTests
{
    [Theory]
    [InlineData("LlamaForCausalLM", false)]
    [InlineData("LlamaForCausalLM", true)]
    [InlineData("Qwen2ForCausalLM", false)]
    [InlineData("MistralForCausalLM", true)]
    public void StateDictKeysAndShapesMatchHuggingFaceNames(string architecture, bool tied)
    {
        var config = TestModels.Config(architecture, tied);
        using var model = new CausalLm(config, ScalarType.Float32);
        var shapes = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.shape);

        var expected = new Dictionary<string, long[]>
        {
            ["model.embed_tokens.weight"] = [97, 32],
            ["model.norm.weight"] = [32],
        };
        for (int i = 0; i < 2; i++)
        {
            string p = $"model.layers.{i}";
            expected[$"{p}.input_layernorm.weight"] = [32];
            expected[$"{p}.post_attention_layernorm.weight"] = [32];
            expected[$"{p}.self_attn.q_proj.weight"] = [32, 32];
            expected[$"{p}.self_attn.k_proj.weight"] = [16, 32];
            expected[$"{p}.self_attn.v_proj.weight"] = [16, 32];
            expected[$"{p}.self_attn.o_proj.weight"] = [32, 32];
            expected[$"{p}.mlp.gate_proj.weight"] = [48, 32];
            expected[$"{p}.mlp.up_proj.weight"] = [48, 32];
            expected[$"{p}.mlp.down_proj.weight"] = [32, 48];
            if (architecture == "Qwen2ForCausalLM")
            {
                expected[$"{p}.self_attn.q_proj.bias"] = [32];
                expected[$"{p}.self_attn.k_proj.bias"] = [16];
                expected[$"{p}.self_attn.v_proj.bias"] = [16];
            }
        }
        if (!tied) expected["lm_head.weight"] = [97, 32];

        Assert.Equal(expected.Keys.Order(), shapes.Keys.Order());
        foreach (var (name, shape) in expected) Assert.Equal(shape, shapes[name]);
    }

    [Theory]
    [InlineData("LlamaForCausalLM", null)]
    [InlineData("Qwen2ForCausalLM", null)]
    [InlineData("LlamaForCausalLM", 16)]
    public void KvCacheDecodeGivesTheSameLogitsAsAFullForward(string architecture, int? headDim)
    {
        var config = TestModels.Config(architecture, headDim: headDim);
        using var model = new CausalLm(config, ScalarType.Float32);
        model.InitialiseRandom(new Generator(7), std: 0.2);
        using var ids = tensor(new long[] { 1, 5, 9, 33, 2, 70, 12, 44, 3, 8 }).unsqueeze(0);

        using var full = model.Forward(ids);
        using var cache = model.CreateCache(1, 32);
        // Prefill 4 tokens, append a chunk of 3, then decode one token at a time.
        var pieces = new List<Tensor>
        {
            model.Forward(ids.narrow(1, 0, 4), cache),
            model.Forward(ids.narrow(1, 4, 3), cache),
        };
        for (int t = 7; t < 10; t++) pieces.Add(model.Forward(ids.narrow(1, t, 1), cache));
        using var incremental = cat(pieces.ToArray(), 1);
        foreach (var p in pieces) p.Dispose();

        double maxDiff = (full - incremental).abs().max().item<float>();
        Assert.True(maxDiff < 1e-4, $"max abs diff {maxDiff}");
        Assert.True(full.abs().max().item<float>() > 1e-2, "logits should not be trivially zero");
    }

    [Fact]
    public void Llama3RopeScalingChangesOnlyLowFrequencies()
    {
        var scaling = new RopeScaling("llama3", Factor: 8, LowFreqFactor: 1, HighFreqFactor: 4, OriginalMaxPositionEmbeddings: 8192);
        double[] inverse = [1.0, 1e-2, 2 * Math.PI / 4000, 1e-5];
        double[] scaled = (double[])inverse.Clone();
        scaling.Apply(scaled);
        Assert.Equal(1.0, scaled[0]);      // wavelength 6.3 < 2048: kept
        Assert.Equal(1e-2, scaled[1]);     // wavelength 628 < 2048: kept
        // wavelength 4000 lies between 2048 and 8192: smooth = (8192/4000 - 1)/3
        double smooth = (8192 / 4000.0 - 1) / 3;
        Assert.Equal((1 - smooth) * inverse[2] / 8 + smooth * inverse[2], scaled[2], 12);
        Assert.Equal(1e-5 / 8, scaled[3], 15); // wavelength 628k > 8192: divided by the factor
    }
}
