using System.Text.Json.Nodes;
using FedLlm.Models.Llama;

namespace FedLlm.Models.Presets;

/// <summary>Named shapes for randomly initialised Llama models used in tests, demos and benchmarks.</summary>
public sealed record ModelPreset(string Name, int HiddenSize, int IntermediateSize, int Layers, int Heads, int KvHeads, int MaxPositions)
{
    public static readonly IReadOnlyList<ModelPreset> All =
    [
        new("tiny", 64, 176, 2, 4, 2, 256),
        new("small", 128, 352, 4, 4, 2, 512),
        new("base", 256, 688, 6, 8, 4, 1024),
    ];

    public static ModelPreset Get(string name) =>
        All.FirstOrDefault(p => p.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"Unknown preset '{name}' (valid: {string.Join(", ", All.Select(p => p.Name))}).");

    public ModelConfig ToConfig(int vocabSize, int? bosTokenId, int? eosTokenId, int? padTokenId) => ModelConfig.FromJson(new JsonObject
    {
        ["architectures"] = new JsonArray("LlamaForCausalLM"),
        ["model_type"] = "llama",
        ["vocab_size"] = vocabSize,
        ["hidden_size"] = HiddenSize,
        ["intermediate_size"] = IntermediateSize,
        ["num_hidden_layers"] = Layers,
        ["num_attention_heads"] = Heads,
        ["num_key_value_heads"] = KvHeads,
        ["max_position_embeddings"] = MaxPositions,
        ["rms_norm_eps"] = 1e-5,
        ["rope_theta"] = 10000.0,
        ["tie_word_embeddings"] = true,
        ["bos_token_id"] = bosTokenId,
        ["eos_token_id"] = eosTokenId,
        ["pad_token_id"] = padTokenId,
        ["torch_dtype"] = "float32",
    });
}
