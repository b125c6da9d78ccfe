using System.Text.Json;
using System.Text.Json.Nodes;

namespace FedLlm.Models.Lora;

/// <summary>
/// LoRA hyperparameters, stored as PEFT's <c>adapter_config.json</c> so Hugging Face PEFT and vLLM can load our adapters.
/// </summary>
public sealed record LoraConfig
{
    public static readonly IReadOnlyList<string> AllLinearModules =
        ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];

    /// <summary>PEFT's default targets for Llama when none are given.</summary>
    public static readonly IReadOnlyList<string> DefaultModules = ["q_proj", "v_proj"];

    public int Rank { get; init; } = 8;
    public double Alpha { get; init; } = 16;
    public double Dropout { get; init; } = 0.05;
    public IReadOnlyList<string> TargetModules { get; init; } = DefaultModules;
    /// <summary>rsLoRA (Kalajdzievski 2023): scale by alpha/sqrt(r) instead of alpha/r so larger ranks keep learning.</summary>
    public bool UseRsLora { get; init; }
    public string? BaseModelNameOrPath { get; init; }

    public double Scaling => UseRsLora ? Alpha / Math.Sqrt(Rank) : Alpha / Rank;

    /// <summary>Parses a target list: a comma-separated module list, or <c>all-linear</c> (every projection but lm_head, as PEFT does).</summary>
    public static IReadOnlyList<string> ParseTargets(string targets)
    {
        if (targets.Trim().Equals("all-linear", StringComparison.OrdinalIgnoreCase)) return AllLinearModules;
        var modules = targets.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (string module in modules)
            if (!AllLinearModules.Contains(module))
                throw new ArgumentException($"unknown LoRA target module '{module}' (valid: {string.Join(", ", AllLinearModules)}, or all-linear)");
        return modules.Length > 0 ? modules : throw new ArgumentException("no LoRA target modules given");
    }

    public void Validate()
    {
        if (Rank <= 0) throw new ArgumentException($"LoRA rank must be positive, got {Rank}");
        if (Alpha <= 0) throw new ArgumentException($"LoRA alpha must be positive, got {Alpha}");
        if (Dropout is < 0 or >= 1) throw new ArgumentException($"LoRA dropout must be in [0, 1), got {Dropout}");
        if (TargetModules.Count == 0) throw new ArgumentException("no LoRA target modules given");
    }

    public JsonObject ToPeftJson() => new()
    {
        ["peft_type"] = "LORA",
        ["task_type"] = "CAUSAL_LM",
        ["r"] = Rank,
        ["lora_alpha"] = Alpha,
        ["lora_dropout"] = Dropout,
        ["target_modules"] = new JsonArray(TargetModules.Select(m => (JsonNode)m).ToArray()),
        ["bias"] = "none",
        ["use_rslora"] = UseRsLora,
        ["fan_in_fan_out"] = false,
        ["init_lora_weights"] = true,
        ["inference_mode"] = true,
        ["modules_to_save"] = null,
        ["base_model_name_or_path"] = BaseModelNameOrPath,
    };

    public static LoraConfig FromPeftJson(JsonObject json, string source)
    {
        string peftType = json["peft_type"]?.GetValue<string>() ?? "LORA";
        if (!peftType.Equals("LORA", StringComparison.OrdinalIgnoreCase))
            throw new ModelLoadException(source, $"adapter type '{peftType}' is not LoRA");
        if (json["bias"]?.GetValue<string>() is { } bias && bias != "none")
            throw new ModelLoadException(source, $"LoRA bias '{bias}' is not supported (only \"none\")");
        var targets = json["target_modules"] switch
        {
            JsonArray a => a.Select(x => x!.GetValue<string>()).ToArray(),
            JsonValue v => ParseTargets(v.GetValue<string>()).ToArray(),
            _ => DefaultModules.ToArray(),
        };
        var config = new LoraConfig
        {
            Rank = json["r"]?.GetValue<int>() ?? throw new ModelLoadException(source, "missing \"r\""),
            Alpha = json["lora_alpha"]?.GetValue<double>() ?? 8,
            Dropout = json["lora_dropout"]?.GetValue<double>() ?? 0,
            TargetModules = targets,
            UseRsLora = json["use_rslora"]?.GetValue<bool>() ?? false,
            BaseModelNameOrPath = json["base_model_name_or_path"]?.GetValue<string>(),
        };
        try { config.Validate(); }
        catch (ArgumentException e) { throw new ModelLoadException(source, e.Message); }
        return config;
    }

    /// <summary>Reads <c>adapter_config.json</c> from a PEFT adapter folder.</summary>
    public static LoraConfig Load(string directory)
    {
        string path = Path.Combine(directory, LoraAdapterSet.ConfigFileName);
        if (!File.Exists(path)) throw new ModelLoadException(path, "adapter config is missing");
        try
        {
            return FromPeftJson(JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new ModelLoadException(path, "expected a JSON object"), path);
        }
        catch (JsonException e)
        {
            throw new ModelLoadException(path, $"invalid JSON ({e.Message})", e);
        }
    }

    public void Save(string path) =>
        File.WriteAllText(path, ToPeftJson().ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
}
