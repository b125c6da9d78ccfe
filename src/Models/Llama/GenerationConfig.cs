using System.Text.Json;
using System.Text.Json.Nodes;

namespace FedLlm.Models.Llama;

/// <summary>Defaults from a model folder's optional <c>generation_config.json</c>.</summary>
public sealed record GenerationConfig
{
    public int? BosTokenId { get; init; }
    public IReadOnlyList<int> EosTokenIds { get; init; } = [];
    public double? Temperature { get; init; }
    public double? TopP { get; init; }
    public int? MaxNewTokens { get; init; }
    public bool? DoSample { get; init; }

    public static GenerationConfig? TryLoad(string modelDirectory)
    {
        string path = Path.Combine(modelDirectory, "generation_config.json");
        if (!File.Exists(path)) return null;
        try
        {
            var json = JsonNode.Parse(File.ReadAllText(path)) as JsonObject
                       ?? throw new ModelLoadException(path, "expected a JSON object");
            return new GenerationConfig
            {
                BosTokenId = (int?)json["bos_token_id"],
                EosTokenIds = json["eos_token_id"] switch
                {
                    JsonArray a => a.Select(x => (int)x!).ToArray(),
                    JsonValue v => [(int)v],
                    _ => [],
                },
                Temperature = (double?)json["temperature"],
                TopP = (double?)json["top_p"],
                MaxNewTokens = (int?)json["max_new_tokens"],
                DoSample = (bool?)json["do_sample"],
            };
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new ModelLoadException(path, $"invalid generation config ({e.Message})", e);
        }
    }

    public void Save(string modelDirectory)
    {
        var json = new JsonObject();
        if (BosTokenId is int bos) json["bos_token_id"] = bos;
        if (EosTokenIds.Count == 1) json["eos_token_id"] = EosTokenIds[0];
        else if (EosTokenIds.Count > 1) json["eos_token_id"] = new JsonArray(EosTokenIds.Select(id => (JsonNode)id).ToArray());
        if (Temperature is double t) json["temperature"] = t;
        if (TopP is double p) json["top_p"] = p;
        if (MaxNewTokens is int m) json["max_new_tokens"] = m;
        if (DoSample is bool d) json["do_sample"] = d;
        File.WriteAllText(Path.Combine(modelDirectory, "generation_config.json"),
            json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }
}
