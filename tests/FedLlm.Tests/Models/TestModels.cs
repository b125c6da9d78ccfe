using System.Text.Json.Nodes;
using FedLlm.Models.Llama;

namespace FedLlm.Tests.Models;

/// <summary>Small configurations of each supported architecture for shape and numerics tests.</summary>
public static class TestModels
{
    public static ModelConfig Config(string architecture = "LlamaForCausalLM", bool tied = false, int? headDim = null, JsonObject? ropeScaling = null, int maxPositions = 64)
    {
        var json = new JsonObject
        {
            ["architectures"] = new JsonArray(architecture),
            ["vocab_size"] = 97,
            ["hidden_size"] = 32,
            ["intermediate_size"] = 48,
            ["num_hidden_layers"] = 2,
            ["num_attention_heads"] = 4,
            ["num_key_value_heads"] = 2,
            ["max_position_embeddings"] = maxPositions,
            ["rms_norm_eps"] = 1e-5,
            ["tie_word_embeddings"] = tied,
            ["bos_token_id"] = 1,
            ["eos_token_id"] = 2,
        };
        if (headDim is int h) json["head_dim"] = h;
        if (ropeScaling is not null) json["rope_scaling"] = ropeScaling;
        return ModelConfig.FromJson(json);
    }
}
