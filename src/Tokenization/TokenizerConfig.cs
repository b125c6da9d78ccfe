using System.Text.Json;

namespace FedLlm.Tokenization;

/// <summary>
/// Special-token settings from a model directory's tokenizer_config.json (token strings, add_bos_token) and
/// config.json (bos/eos/pad token ids; an id list counts by its first entry). All optional.
/// </summary>
public sealed record TokenizerConfig
{
    public string? BosToken { get; init; }
    public string? EosToken { get; init; }
    public string? PadToken { get; init; }
    public string? UnkToken { get; init; }
    public bool? AddBosToken { get; init; }
    public int? BosTokenId { get; init; }
    public int? EosTokenId { get; init; }
    public int? PadTokenId { get; init; }

    public static TokenizerConfig Empty { get; } = new();

    /// <summary>Reads tokenizer_config.json and config.json from <paramref name="directory"/> when present.</summary>
    public static TokenizerConfig Read(string directory)
    {
        var config = new TokenizerConfig();
        string tokenizerConfigPath = Path.Combine(directory, "tokenizer_config.json");
        if (File.Exists(tokenizerConfigPath))
        {
            using var document = ParseFile(tokenizerConfigPath);
            var root = document.RootElement;
            config = config with
            {
                BosToken = TokenString(root, "bos_token", tokenizerConfigPath),
                EosToken = TokenString(root, "eos_token", tokenizerConfigPath),
                PadToken = TokenString(root, "pad_token", tokenizerConfigPath),
                UnkToken = TokenString(root, "unk_token", tokenizerConfigPath),
                AddBosToken = root.TryGetProperty("add_bos_token", out var addBos) && addBos.ValueKind is JsonValueKind.True or JsonValueKind.False
                    ? addBos.GetBoolean() : null,
            };
        }
        string modelConfigPath = Path.Combine(directory, "config.json");
        if (File.Exists(modelConfigPath))
        {
            using var document = ParseFile(modelConfigPath);
            var root = document.RootElement;
            config = config with
            {
                BosTokenId = TokenId(root, "bos_token_id", modelConfigPath),
                EosTokenId = TokenId(root, "eos_token_id", modelConfigPath),
                PadTokenId = TokenId(root, "pad_token_id", modelConfigPath),
            };
        }
        return config;
    }

    internal static JsonDocument ParseFile(string path)
    {
        try
        {
            // ReadAllText drops a UTF-8 byte-order mark, which JsonDocument rejects in raw bytes.
            var document = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                document.Dispose();
                throw new InvalidDataException($"{path}: expected a JSON object at the top level.");
            }
            return document;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: malformed JSON at line {e.LineNumber + 1}: {e.Message}", e);
        }
    }

    /// <summary>A special token given as a string or as an AddedToken object {"content": ...}; null when absent or null.</summary>
    private static string? TokenString(JsonElement root, string name, string path)
    {
        if (!root.TryGetProperty(name, out var value)) return null;
        return value.ValueKind switch
        {
            JsonValueKind.Null => null,
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Object when value.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String => content.GetString(),
            _ => throw new InvalidDataException($"{path}: '{name}' must be a string or an object with 'content', not {value.ValueKind}."),
        };
    }

    private static int? TokenId(JsonElement root, string name, string path)
    {
        if (!root.TryGetProperty(name, out var value)) return null;
        return value.ValueKind switch
        {
            JsonValueKind.Null => null,
            JsonValueKind.Number when value.TryGetInt32(out int id) => id,
            JsonValueKind.Array when value.GetArrayLength() > 0 && value[0].ValueKind == JsonValueKind.Number && value[0].TryGetInt32(out int first) => first,
            JsonValueKind.Array => null,
            _ => throw new InvalidDataException($"{path}: '{name}' must be an integer or a list of integers, not {value.ValueKind}."),
        };
    }
}
