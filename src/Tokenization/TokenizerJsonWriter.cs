using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace FedLlm.Tokenization;

/// <summary>Writes a <see cref="ByteLevelBpeDefinition"/> as a Hugging Face tokenizer.json (readable by <see cref="TokenizerJsonReader"/>).</summary>
public static class TokenizerJsonWriter
{
    public static string Write(ByteLevelBpeDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("version", "1.0");
            json.WriteNull("truncation");
            json.WriteNull("padding");
            WriteAddedTokens(json, definition.AddedTokens);
            if (definition.NormalizeNfc)
            {
                json.WriteStartObject("normalizer");
                json.WriteString("type", "NFC");
                json.WriteEndObject();
            }
            else
            {
                json.WriteNull("normalizer");
            }
            WritePreTokenizer(json, definition.PreTokenizers);
            WritePostProcessor(json, definition);
            json.WriteStartObject("decoder");
            WriteByteLevelFields(json, addPrefixSpace: true, useRegex: true);
            json.WriteEndObject();
            WriteModel(json, definition);
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void WriteAddedTokens(Utf8JsonWriter json, IReadOnlyList<AddedToken> tokens)
    {
        json.WriteStartArray("added_tokens");
        foreach (var token in tokens)
        {
            json.WriteStartObject();
            json.WriteNumber("id", token.Id);
            json.WriteString("content", token.Content);
            json.WriteBoolean("single_word", false);
            json.WriteBoolean("lstrip", false);
            json.WriteBoolean("rstrip", false);
            json.WriteBoolean("normalized", false);
            json.WriteBoolean("special", token.Special);
            json.WriteEndObject();
        }
        json.WriteEndArray();
    }

    private static void WritePreTokenizer(Utf8JsonWriter json, IReadOnlyList<PreTokenizerSpec> specs)
    {
        if (specs.Count == 0)
        {
            json.WriteNull("pre_tokenizer");
            return;
        }
        json.WritePropertyName("pre_tokenizer");
        if (specs.Count == 1)
        {
            WritePreTokenizerSpec(json, specs[0]);
            return;
        }
        json.WriteStartObject();
        json.WriteString("type", "Sequence");
        json.WriteStartArray("pretokenizers");
        foreach (var spec in specs) WritePreTokenizerSpec(json, spec);
        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void WritePreTokenizerSpec(Utf8JsonWriter json, PreTokenizerSpec spec)
    {
        json.WriteStartObject();
        switch (spec)
        {
            case PreTokenizerSpec.ByteLevel byteLevel:
                WriteByteLevelFields(json, byteLevel.AddPrefixSpace, byteLevel.UseRegex);
                break;
            case PreTokenizerSpec.Split split:
                json.WriteString("type", "Split");
                json.WriteStartObject("pattern");
                json.WriteString(split.IsRegex ? "Regex" : "String", split.Pattern);
                json.WriteEndObject();
                json.WriteString("behavior", split.RemoveMatches ? "Removed" : "Isolated");
                json.WriteBoolean("invert", false);
                break;
            case PreTokenizerSpec.Digits digits:
                json.WriteString("type", "Digits");
                json.WriteBoolean("individual_digits", digits.IndividualDigits);
                break;
        }
        json.WriteEndObject();
    }

    private static void WriteByteLevelFields(Utf8JsonWriter json, bool addPrefixSpace, bool useRegex)
    {
        json.WriteString("type", "ByteLevel");
        json.WriteBoolean("add_prefix_space", addPrefixSpace);
        json.WriteBoolean("trim_offsets", true);
        json.WriteBoolean("use_regex", useRegex);
    }

    /// <summary>TemplateProcessing that prepends BOS (the Llama-3 convention), or none.</summary>
    private static void WritePostProcessor(Utf8JsonWriter json, ByteLevelBpeDefinition definition)
    {
        string? bos = definition.AddBosByDefault ? definition.BosToken : null;
        int? bosId = bos is null ? null : definition.AddedTokens.FirstOrDefault(a => a.Content == bos)?.Id
            ?? (definition.Vocab.TryGetValue(bos, out int id) ? id : null);
        if (bos is null || bosId is null)
        {
            json.WriteNull("post_processor");
            return;
        }
        json.WriteStartObject("post_processor");
        json.WriteString("type", "TemplateProcessing");
        foreach (string name in new[] { "single", "pair" })
        {
            json.WriteStartArray(name);
            WriteTemplateSpecial(json, bos);
            WriteTemplateSequence(json, "A");
            if (name == "pair")
            {
                WriteTemplateSpecial(json, bos);
                WriteTemplateSequence(json, "B");
            }
            json.WriteEndArray();
        }
        json.WriteStartObject("special_tokens");
        json.WriteStartObject(bos);
        json.WriteString("id", bos);
        json.WriteStartArray("ids");
        json.WriteNumberValue(bosId.Value);
        json.WriteEndArray();
        json.WriteStartArray("tokens");
        json.WriteStringValue(bos);
        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void WriteTemplateSpecial(Utf8JsonWriter json, string token)
    {
        json.WriteStartObject();
        json.WriteStartObject("SpecialToken");
        json.WriteString("id", token);
        json.WriteNumber("type_id", 0);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void WriteTemplateSequence(Utf8JsonWriter json, string sequence)
    {
        json.WriteStartObject();
        json.WriteStartObject("Sequence");
        json.WriteString("id", sequence);
        json.WriteNumber("type_id", 0);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void WriteModel(Utf8JsonWriter json, ByteLevelBpeDefinition definition)
    {
        json.WriteStartObject("model");
        json.WriteString("type", "BPE");
        json.WriteNull("dropout");
        if (definition.UnkToken is null) json.WriteNull("unk_token");
        else json.WriteString("unk_token", definition.UnkToken);
        json.WriteNull("continuing_subword_prefix");
        json.WriteNull("end_of_word_suffix");
        json.WriteBoolean("fuse_unk", false);
        json.WriteBoolean("byte_fallback", false);
        json.WriteBoolean("ignore_merges", definition.IgnoreMerges);
        json.WriteStartObject("vocab");
        foreach (var (token, id) in definition.Vocab.OrderBy(p => p.Value)) json.WriteNumber(token, id);
        json.WriteEndObject();
        json.WriteStartArray("merges");
        foreach (var (left, right) in definition.Merges)
        {
            json.WriteStartArray();
            json.WriteStringValue(left);
            json.WriteStringValue(right);
            json.WriteEndArray();
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }
}
