using System.Text.Json;

namespace FedLlm.Tokenization;

/// <summary>
/// Reads a Hugging Face tokenizer.json with a byte-level BPE model (GPT-2, Qwen2, Llama-3, SmolLM, our trainer's output)
/// into a <see cref="ByteLevelBpeDefinition"/>. Anything it cannot honour exactly is rejected with the JSON path named.
/// </summary>
public static class TokenizerJsonReader
{
    private static readonly string[] ConventionalBos = ["<s>", "<|begin_of_text|>", "<bos>", "<|startoftext|>"];
    private static readonly string[] ConventionalEos = ["</s>", "<|end_of_text|>", "<|endoftext|>", "<eos>"];

    public static ByteLevelBpeDefinition ReadFile(string path, TokenizerConfig? config = null)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"tokenizer.json not found: {path}", path);
        using var document = TokenizerConfig.ParseFile(path);
        return Parse(document.RootElement, path, config ?? TokenizerConfig.Empty);
    }

    public static ByteLevelBpeDefinition Parse(string json, string source, TokenizerConfig? config = null)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            return Parse(document.RootElement, source, config ?? TokenizerConfig.Empty);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: malformed JSON at line {e.LineNumber + 1}: {e.Message}", e);
        }
    }

    /// <summary>
    /// Parses the tokenizer.json at <paramref name="path"/> once and reads it when it is byte-level (a ByteLevel
    /// pre-tokenizer or decoder) or when <paramref name="required"/>; otherwise null, so the caller can prefer another file.
    /// </summary>
    internal static ByteLevelBpeDefinition? ReadFileIfByteLevel(string path, TokenizerConfig config, bool required)
    {
        using var document = TokenizerConfig.ParseFile(path);
        return required || IsByteLevel(document.RootElement) ? Parse(document.RootElement, path, config) : null;
    }

    private static bool IsByteLevel(JsonElement root) =>
        ContainsType(Optional(root, "pre_tokenizer"), "ByteLevel") || ContainsType(Optional(root, "decoder"), "ByteLevel");

    private static ByteLevelBpeDefinition Parse(JsonElement root, string source, TokenizerConfig config)
    {
        if (root.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{source}: expected a JSON object at the top level.");
        var model = Optional(root, "model") ?? throw new InvalidDataException($"{source}: has no 'model' section.");
        string modelType = Optional(model, "type") is { ValueKind: JsonValueKind.String } type ? type.GetString()! : "BPE";
        if (modelType != "BPE")
            throw new NotSupportedException($"{source}: model.type '{modelType}' is not supported; only BPE tokenizer.json files are.");
        if (!IsByteLevel(root))
            throw new NotSupportedException($"{source}: BPE without a ByteLevel pre-tokenizer/decoder (a SentencePiece-style tokenizer.json) is not supported; load the model's tokenizer.model instead.");
        foreach (string affix in new[] { "continuing_subword_prefix", "end_of_word_suffix" })
        {
            if (Optional(model, affix) is { ValueKind: JsonValueKind.String } value && value.GetString()!.Length > 0)
                throw new NotSupportedException($"{source}: model.{affix} is set; byte-level BPE with subword affixes is not supported.");
        }

        var vocab = ReadVocab(model, source);
        var merges = ReadMerges(model, source);
        var added = ReadAddedTokens(root, source);
        var tokenIds = new Dictionary<string, int>(vocab, StringComparer.Ordinal);
        foreach (var token in added) tokenIds[token.Content] = token.Id;
        string? TokenOfId(int? id) => id is not { } value ? null
            : added.FirstOrDefault(a => a.Id == value)?.Content ?? vocab.FirstOrDefault(p => p.Value == value).Key;

        string? templateBos = TemplateBos(Optional(root, "post_processor"));
        string? Conventional(string[] names) => names.FirstOrDefault(n => added.Any(a => a.Special && a.Content == n));
        string? bos = config.BosToken ?? TokenOfId(config.BosTokenId) ?? templateBos ?? Conventional(ConventionalBos);
        string? eos = config.EosToken ?? TokenOfId(config.EosTokenId) ?? Conventional(ConventionalEos);
        string? pad = config.PadToken ?? TokenOfId(config.PadTokenId);

        return new ByteLevelBpeDefinition
        {
            Vocab = vocab,
            Merges = merges,
            AddedTokens = added,
            PreTokenizers = ReadPreTokenizers(Optional(root, "pre_tokenizer"), source, "pre_tokenizer"),
            NormalizeNfc = ReadNormalizer(Optional(root, "normalizer"), source, "normalizer"),
            IgnoreMerges = Optional(model, "ignore_merges") is { ValueKind: JsonValueKind.True },
            UnkToken = Optional(model, "unk_token") is { ValueKind: JsonValueKind.String } unk ? unk.GetString() : null,
            BosToken = bos is not null && tokenIds.ContainsKey(bos) ? bos : null,
            EosToken = eos is not null && tokenIds.ContainsKey(eos) ? eos : null,
            PadToken = pad is not null && tokenIds.ContainsKey(pad) ? pad : null,
            AddBosByDefault = config.AddBosToken ?? templateBos is not null,
            Source = source,
        };
    }

    private static Dictionary<string, int> ReadVocab(JsonElement model, string source)
    {
        var vocabElement = Optional(model, "vocab");
        if (vocabElement is not { ValueKind: JsonValueKind.Object } vocabObject)
            throw new InvalidDataException($"{source}: model.vocab must be an object of token → id.");
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var entry in vocabObject.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.Number || !entry.Value.TryGetInt32(out int id) || id < 0)
                throw new InvalidDataException($"{source}: model.vocab['{entry.Name}'] must be a non-negative integer id.");
            vocab[entry.Name] = id;
        }
        return vocab;
    }

    private static List<(string Left, string Right)> ReadMerges(JsonElement model, string source)
    {
        var merges = new List<(string, string)>();
        if (Optional(model, "merges") is not { } mergesElement) return merges;
        if (mergesElement.ValueKind != JsonValueKind.Array) throw new InvalidDataException($"{source}: model.merges must be an array.");
        int index = 0;
        foreach (var merge in mergesElement.EnumerateArray())
        {
            // Older files write "left right"; newer ones (tokenizers >= 0.20) write ["left", "right"].
            if (merge.ValueKind == JsonValueKind.String)
            {
                string text = merge.GetString()!;
                int space = text.IndexOf(' ', StringComparison.Ordinal);
                if (space <= 0 || space == text.Length - 1 || text.IndexOf(' ', space + 1) >= 0)
                    throw new InvalidDataException($"{source}: model.merges[{index}] '{text}' is not two tokens separated by one space.");
                merges.Add((text[..space], text[(space + 1)..]));
            }
            else if (merge.ValueKind == JsonValueKind.Array && merge.GetArrayLength() == 2
                && merge[0].ValueKind == JsonValueKind.String && merge[1].ValueKind == JsonValueKind.String)
            {
                merges.Add((merge[0].GetString()!, merge[1].GetString()!));
            }
            else
            {
                throw new InvalidDataException($"{source}: model.merges[{index}] must be \"a b\" or [\"a\", \"b\"].");
            }
            index++;
        }
        return merges;
    }

    private static List<AddedToken> ReadAddedTokens(JsonElement root, string source)
    {
        var tokens = new List<AddedToken>();
        if (Optional(root, "added_tokens") is not { ValueKind: JsonValueKind.Array } array) return tokens;
        int index = 0;
        foreach (var item in array.EnumerateArray())
        {
            if (Optional(item, "id") is not { ValueKind: JsonValueKind.Number } idElement || !idElement.TryGetInt32(out int id)
                || Optional(item, "content") is not { ValueKind: JsonValueKind.String } content)
                throw new InvalidDataException($"{source}: added_tokens[{index}] needs an integer 'id' and a string 'content'.");
            tokens.Add(new AddedToken(id, content.GetString()!, Optional(item, "special") is { ValueKind: JsonValueKind.True }));
            index++;
        }
        return tokens;
    }

    private static bool ReadNormalizer(JsonElement? element, string source, string path)
    {
        if (element is not { ValueKind: JsonValueKind.Object } normalizer) return false;
        string type = TypeOf(normalizer, source, path);
        switch (type)
        {
            case "NFC":
                return true;
            case "Sequence":
                bool nfc = false;
                int i = 0;
                foreach (var inner in ArrayOf(normalizer, "normalizers", source, path))
                    nfc |= ReadNormalizer(inner, source, $"{path}.normalizers[{i++}]");
                return nfc;
            default:
                throw new NotSupportedException($"{source}: {path} type '{type}' is not supported (supported: NFC, Sequence).");
        }
    }

    private static List<PreTokenizerSpec> ReadPreTokenizers(JsonElement? element, string source, string path)
    {
        var specs = new List<PreTokenizerSpec>();
        if (element is not { ValueKind: JsonValueKind.Object } pre) return specs;
        string type = TypeOf(pre, source, path);
        switch (type)
        {
            case "ByteLevel":
                specs.Add(new PreTokenizerSpec.ByteLevel(
                    AddPrefixSpace: Optional(pre, "add_prefix_space") is { ValueKind: JsonValueKind.True },
                    UseRegex: Optional(pre, "use_regex") is not { ValueKind: JsonValueKind.False }));
                break;
            case "Sequence":
                int i = 0;
                foreach (var inner in ArrayOf(pre, "pretokenizers", source, path))
                    specs.AddRange(ReadPreTokenizers(inner, source, $"{path}.pretokenizers[{i++}]"));
                break;
            case "Split":
                specs.Add(ReadSplit(pre, source, path));
                break;
            case "Digits":
                specs.Add(new PreTokenizerSpec.Digits(Optional(pre, "individual_digits") is { ValueKind: JsonValueKind.True }));
                break;
            default:
                throw new NotSupportedException($"{source}: {path} type '{type}' is not supported (supported: ByteLevel, Split, Digits, Sequence).");
        }
        return specs;
    }

    private static PreTokenizerSpec.Split ReadSplit(JsonElement split, string source, string path)
    {
        if (Optional(split, "invert") is { ValueKind: JsonValueKind.True })
            throw new NotSupportedException($"{source}: {path}.invert = true is not supported.");
        string behavior = Optional(split, "behavior") is { ValueKind: JsonValueKind.String } b ? b.GetString()! : "Isolated";
        if (behavior is not ("Isolated" or "Removed"))
            throw new NotSupportedException($"{source}: {path}.behavior '{behavior}' is not supported (supported: Isolated, Removed).");
        var pattern = Optional(split, "pattern");
        if (pattern is { ValueKind: JsonValueKind.Object } p && Optional(p, "Regex") is { ValueKind: JsonValueKind.String } regex)
            return new PreTokenizerSpec.Split(regex.GetString()!, IsRegex: true, RemoveMatches: behavior == "Removed");
        if (pattern is { ValueKind: JsonValueKind.Object } q && Optional(q, "String") is { ValueKind: JsonValueKind.String } literal)
            return new PreTokenizerSpec.Split(literal.GetString()!, IsRegex: false, RemoveMatches: behavior == "Removed");
        throw new InvalidDataException($"{source}: {path}.pattern must be {{\"Regex\": ...}} or {{\"String\": ...}}.");
    }

    /// <summary>The special token a TemplateProcessing post-processor puts before a single sequence, if any.</summary>
    private static string? TemplateBos(JsonElement? element)
    {
        if (element is not { ValueKind: JsonValueKind.Object } processor) return null;
        string? type = Optional(processor, "type") is { ValueKind: JsonValueKind.String } t ? t.GetString() : null;
        if (type == "Sequence" && Optional(processor, "processors") is { ValueKind: JsonValueKind.Array } processors)
            return processors.EnumerateArray().Select(p => TemplateBos(p)).FirstOrDefault(b => b is not null);
        if (type != "TemplateProcessing" || Optional(processor, "single") is not { ValueKind: JsonValueKind.Array } single || single.GetArrayLength() == 0)
            return null;
        if (Optional(single[0], "SpecialToken") is not { ValueKind: JsonValueKind.Object } special
            || Optional(special, "id") is not { ValueKind: JsonValueKind.String } id)
            return null;
        string name = id.GetString()!;
        // special_tokens maps the template name to the real token strings; usually they coincide.
        if (Optional(processor, "special_tokens") is { ValueKind: JsonValueKind.Object } map && Optional(map, name) is { } entry
            && Optional(entry, "tokens") is { ValueKind: JsonValueKind.Array } tokens && tokens.GetArrayLength() > 0
            && tokens[0].ValueKind == JsonValueKind.String)
            return tokens[0].GetString();
        return name;
    }

    private static bool ContainsType(JsonElement? element, string wanted)
    {
        if (element is not { ValueKind: JsonValueKind.Object } obj) return false;
        if (Optional(obj, "type") is { ValueKind: JsonValueKind.String } type && type.GetString() == wanted) return true;
        foreach (string list in new[] { "pretokenizers", "decoders", "processors" })
        {
            if (Optional(obj, list) is { ValueKind: JsonValueKind.Array } items && items.EnumerateArray().Any(i => ContainsType(i, wanted))) return true;
        }
        return false;
    }

    private static string TypeOf(JsonElement element, string source, string path) =>
        Optional(element, "type") is { ValueKind: JsonValueKind.String } type
            ? type.GetString()!
            : throw new InvalidDataException($"{source}: {path} has no string 'type'.");

    private static JsonElement.ArrayEnumerator ArrayOf(JsonElement element, string name, string source, string path) =>
        Optional(element, name) is { ValueKind: JsonValueKind.Array } array
            ? array.EnumerateArray()
            : throw new InvalidDataException($"{source}: {path}.{name} must be an array.");

    private static JsonElement? Optional(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;
}
