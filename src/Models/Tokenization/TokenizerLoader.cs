using System.Text.Json;

namespace FedLlm.Models.Tokenization;

/// <summary>Finds and loads the tokenizer stored beside a model's weights.</summary>
public static class TokenizerLoader
{
    public const string SentencePieceFileName = "tokenizer.model";
    public const string HuggingFaceFileName = "tokenizer.json";
    public const string ConfigFileName = "tokenizer_config.json";

    public static ITokenizer Load(string modelDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelDirectory);
        // Seam for the byte-level BPE tokenizer (tokenizer.json), which is written separately.
        string sentencePiecePath = Path.Combine(modelDirectory, SentencePieceFileName);
        if (File.Exists(sentencePiecePath))
            return SentencePieceTokenizer.FromFile(sentencePiecePath, ReadAddBosToken(modelDirectory) ?? true);

        throw new FileNotFoundException(
            $"No tokenizer in '{modelDirectory}': looked for {HuggingFaceFileName} and {SentencePieceFileName}.",
            sentencePiecePath);
    }

    /// <summary>The <c>add_bos_token</c> flag of tokenizer_config.json, or null when the file or key is absent.</summary>
    internal static bool? ReadAddBosToken(string modelDirectory)
    {
        string path = Path.Combine(modelDirectory, ConfigFileName);
        if (!File.Exists(path)) return null;
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(path));
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("add_bos_token", out var value)) return null;
            return value.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                JsonValueKind.Null => null,
                _ => throw new InvalidDataException($"{path}: add_bos_token must be true or false, not {value.ValueKind}."),
            };
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON ({e.Message}).", e);
        }
    }
}
