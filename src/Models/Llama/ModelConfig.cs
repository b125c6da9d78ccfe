using System.Text.Json;
using System.Text.Json.Nodes;

namespace FedLlm.Models.Llama;

/// <summary>
/// The subset of a Hugging Face <c>config.json</c> that Llama-family decoders (Llama, Qwen2, Mistral) need.
/// Unknown keys are kept in <see cref="Raw"/> so a loaded config can be written back without losing anything.
/// </summary>
public sealed record ModelConfig
{
    public static readonly IReadOnlyList<string> SupportedArchitectures =
        ["LlamaForCausalLM", "Qwen2ForCausalLM", "MistralForCausalLM"];

    public required string Architecture { get; init; }
    public required string ModelType { get; init; }
    public required int VocabSize { get; init; }
    public required int HiddenSize { get; init; }
    public required int IntermediateSize { get; init; }
    public required int NumHiddenLayers { get; init; }
    public required int NumAttentionHeads { get; init; }
    public required int NumKeyValueHeads { get; init; }
    public required int HeadDim { get; init; }
    public int MaxPositionEmbeddings { get; init; } = 2048;
    public double RmsNormEps { get; init; } = 1e-6;
    public double RopeTheta { get; init; } = 10000;
    public RopeScaling? RopeScaling { get; init; }
    public bool TieWordEmbeddings { get; init; }
    /// <summary>Bias on q/k/v projections (Qwen2 has it; Llama's <c>attention_bias</c> may turn it on).</summary>
    public bool AttentionBias { get; init; }
    public bool MlpBias { get; init; }
    public int? BosTokenId { get; init; }
    public IReadOnlyList<int> EosTokenIds { get; init; } = [];
    public int? PadTokenId { get; init; }
    /// <summary>The dtype the checkpoint was saved in ("float32", "bfloat16", ...).</summary>
    public string TorchDtype { get; init; } = "float32";
    public JsonObject Raw { get; init; } = new();

    public int KeyValueGroups => NumAttentionHeads / NumKeyValueHeads;

    public static ModelConfig Load(string path)
    {
        if (!File.Exists(path)) throw new ModelLoadException(path, "config.json is missing");
        JsonObject json;
        try
        {
            json = JsonNode.Parse(File.ReadAllText(path)) as JsonObject
                   ?? throw new ModelLoadException(path, "expected a JSON object");
        }
        catch (JsonException e)
        {
            throw new ModelLoadException(path, $"invalid JSON ({e.Message})");
        }
        return FromJson(json, path);
    }

    public static ModelConfig FromJson(JsonObject json, string source = "config.json")
    {
        string architecture = json["architectures"] is JsonArray { Count: > 0 } archs
            ? archs[0]!.GetValue<string>()
            : throw new ModelLoadException(source, "no \"architectures\" entry");
        if (!SupportedArchitectures.Contains(architecture))
            throw new ModelLoadException(source,
                $"unknown architecture '{architecture}' (supported: {string.Join(", ", SupportedArchitectures)})");

        int Required(string key) => json[key] is JsonValue v && v.TryGetValue(out int value)
            ? value
            : throw new ModelLoadException(source, $"missing or non-integer \"{key}\"");
        int? Optional(string key) => json[key] is JsonValue v && v.TryGetValue(out int value) ? value : null;
        double OptionalDouble(string key, double fallback) =>
            json[key] is JsonValue v && v.TryGetValue(out double value) ? value : fallback;
        bool OptionalBool(string key, bool fallback) =>
            json[key] is JsonValue v && v.TryGetValue(out bool value) ? value : fallback;

        int hidden = Required("hidden_size");
        int heads = Required("num_attention_heads");
        int kvHeads = Optional("num_key_value_heads") ?? heads;
        int headDim = Optional("head_dim") ?? hidden / heads;
        if (heads <= 0 || kvHeads <= 0 || heads % kvHeads != 0)
            throw new ModelLoadException(source, $"num_attention_heads ({heads}) must be a positive multiple of num_key_value_heads ({kvHeads})");
        if (headDim % 2 != 0) throw new ModelLoadException(source, $"head_dim ({headDim}) must be even for rotary embeddings");
        bool isQwen2 = architecture == "Qwen2ForCausalLM";

        return new ModelConfig
        {
            Architecture = architecture,
            ModelType = json["model_type"]?.GetValue<string>() ?? (isQwen2 ? "qwen2" : architecture == "MistralForCausalLM" ? "mistral" : "llama"),
            VocabSize = Required("vocab_size"),
            HiddenSize = hidden,
            IntermediateSize = Required("intermediate_size"),
            NumHiddenLayers = Required("num_hidden_layers"),
            NumAttentionHeads = heads,
            NumKeyValueHeads = kvHeads,
            HeadDim = headDim,
            MaxPositionEmbeddings = Optional("max_position_embeddings") ?? 2048,
            RmsNormEps = OptionalDouble("rms_norm_eps", 1e-6),
            RopeTheta = OptionalDouble("rope_theta", 10000),
            RopeScaling = RopeScaling.FromJson(json["rope_scaling"] as JsonObject, source),
            TieWordEmbeddings = OptionalBool("tie_word_embeddings", false),
            AttentionBias = OptionalBool("attention_bias", isQwen2),
            MlpBias = OptionalBool("mlp_bias", false),
            BosTokenId = Optional("bos_token_id"),
            EosTokenIds = ReadIds(json["eos_token_id"]),
            PadTokenId = Optional("pad_token_id"),
            TorchDtype = json["torch_dtype"]?.GetValue<string>() ?? json["dtype"]?.GetValue<string>() ?? "float32",
            Raw = json,
        };
    }

    /// <summary>Writes the config back as Hugging Face JSON, with the typed fields taking precedence over <see cref="Raw"/>.</summary>
    public JsonObject ToJson()
    {
        var json = (JsonObject)Raw.DeepClone();
        json["architectures"] = new JsonArray(Architecture);
        json["model_type"] = ModelType;
        json["vocab_size"] = VocabSize;
        json["hidden_size"] = HiddenSize;
        json["intermediate_size"] = IntermediateSize;
        json["num_hidden_layers"] = NumHiddenLayers;
        json["num_attention_heads"] = NumAttentionHeads;
        json["num_key_value_heads"] = NumKeyValueHeads;
        json["head_dim"] = HeadDim;
        json["max_position_embeddings"] = MaxPositionEmbeddings;
        json["rms_norm_eps"] = RmsNormEps;
        json["rope_theta"] = RopeTheta;
        json["rope_scaling"] = RopeScaling?.ToJson();
        json["tie_word_embeddings"] = TieWordEmbeddings;
        json["attention_bias"] = AttentionBias;
        json["mlp_bias"] = MlpBias;
        json["hidden_act"] = "silu";
        if (BosTokenId is int bos) json["bos_token_id"] = bos;
        if (EosTokenIds.Count == 1) json["eos_token_id"] = EosTokenIds[0];
        else if (EosTokenIds.Count > 1) json["eos_token_id"] = new JsonArray(EosTokenIds.Select(id => (JsonNode)id).ToArray());
        if (PadTokenId is int pad) json["pad_token_id"] = pad;
        json["torch_dtype"] = TorchDtype;
        return json;
    }

    public void Save(string path) =>
        File.WriteAllText(path, ToJson().ToJsonString(new JsonSerializerOptions { WriteIndented = true }));

    private static IReadOnlyList<int> ReadIds(JsonNode? node) => node switch
    {
        JsonValue v when v.TryGetValue(out int id) => [id],
        JsonArray a => a.Select(x => x!.GetValue<int>()).ToArray(),
        _ => [],
    };
}
