using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace FedLlm.Federation.Configuration;

/// <summary>The run's config as saved beside its results (snake_case, like the YAML it came from).</summary>
public static class RunConfigJson
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        // Only the keys a config file has (settable properties); derived values such as the parsed method are left out.
        IgnoreReadOnlyProperties = true,
    };

    public static JsonObject ToJson(RunConfig config) => JsonSerializer.SerializeToNode(config, Options)!.AsObject();

    public static RunConfig FromJson(string json) =>
        JsonSerializer.Deserialize<RunConfig>(json, Options) ?? throw new InvalidDataException("empty run config");

    /// <summary>A run folder's <c>config.json</c> as it was saved, key by key.</summary>
    public static JsonObject ReadObject(string path)
    {
        try
        {
            return JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new InvalidDataException($"{path}: not a FedLlm run config");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a FedLlm run config ({e.Message})", e);
        }
    }

    /// <summary>A run folder's <c>config.json</c>.</summary>
    /// <exception cref="FileNotFoundException">The folder is not a run folder.</exception>
    public static RunConfig Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{Path.GetDirectoryName(path)}: not a run folder (config.json missing)", path);
        try
        {
            return FromJson(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a FedLlm run config ({e.Message})", e);
        }
    }
}
