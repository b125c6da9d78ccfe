using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace FedLlm.Federation.Simulation;

/// <summary>The run's config as saved beside its results (snake_case, like the YAML it came from).</summary>
public static class SimulationConfigJson
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public static JsonNode ToJson(SimulationConfig config) => JsonSerializer.SerializeToNode(config, Options)!;

    public static SimulationConfig FromJson(string json) =>
        JsonSerializer.Deserialize<SimulationConfig>(json, Options) ?? throw new InvalidDataException("empty simulation config");
}
