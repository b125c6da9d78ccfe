using System.Text.Json.Nodes;

namespace FedLlm.Federation.Configuration;

/// <summary>
/// Which keys of a run's config may differ between the attempt that started it and one that resumes it. A run key
/// (seed, rounds, model shape, data split, LoRA, training, strategy, privacy, encryption…) shapes every round, so a
/// resume with another value would silently mix two runs; an operational key only says where files are, how often to
/// checkpoint or evaluate, and may change between attempts.
/// </summary>
public static class RunConfigChanges
{
    /// <summary>Operational keys, and sections whose every key is operational (ending with a dot).</summary>
    public static IReadOnlyList<string> Operational { get; } =
    [
        "name", "output_directory", "checkpoint_every", "save_adapter_every",
        "model.path", "data.path", "data.eval_path", "data.test_path", "privacy.compare_with",
        "evaluation.",
    ];

    /// <summary>The run keys whose values differ, each as "key: saved → now", in key order; empty when none do.</summary>
    public static IReadOnlyList<string> RunKeysChanged(JsonObject saved, JsonObject now)
    {
        var before = Flatten(saved);
        var after = Flatten(now);
        return [.. before.Keys.Union(after.Keys).Where(key => !IsOperational(key)).Order(StringComparer.Ordinal)
            .Where(key => before.GetValueOrDefault(key) != after.GetValueOrDefault(key))
            .Select(key => $"{key}: {before.GetValueOrDefault(key) ?? "(absent)"} → {after.GetValueOrDefault(key) ?? "(absent)"}")];
    }

    public static bool IsOperational(string key) =>
        Operational.Any(o => o.EndsWith('.') ? key.StartsWith(o, StringComparison.Ordinal) : key == o);

    private static Dictionary<string, string> Flatten(JsonObject config)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        void Walk(JsonNode? node, string prefix)
        {
            if (node is JsonObject section)
                foreach (var (key, child) in section) Walk(child, prefix.Length == 0 ? key : $"{prefix}.{key}");
            else
                values[prefix] = node?.ToJsonString() ?? "null";
        }
        Walk(config, "");
        return values;
    }
}
