using System.Text.Json;
using System.Text.Json.Nodes;

namespace FedLlm.Models.Llama;

/// <summary>The special-token ids of a model folder's optional <c>generation_config.json</c> (sampling defaults there are not used).</summary>
public sealed record GenerationConfig
{
    public int? BosTokenId { get; init; }
    public IReadOnlyList<int> EosTokenIds { get; init; } = [];

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
        File.WriteAllText(Path.Combine(modelDirectory, "generation_config.json"),
            json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }
}
