using System.Text.Json;

namespace FedLlm.Data.Formats;

/// <summary>Field access with error messages that say which field is wrong and how.</summary>
internal static class JsonFields
{
    public static JsonElement RequireObject(JsonElement record)
    {
        if (record.ValueKind != JsonValueKind.Object)
            throw new RecordConversionException($"expected a JSON object, found {Describe(record)}");
        return record;
    }

    public static bool Has(JsonElement record, string name) =>
        record.ValueKind == JsonValueKind.Object && record.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null;

    public static JsonElement Require(JsonElement record, string name)
    {
        if (!record.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
            throw new RecordConversionException($"missing required field '{name}'");
        return value;
    }

    public static string RequireString(JsonElement record, string name, bool allowEmpty = true)
    {
        var value = Require(record, name);
        string text = AsText(value) ?? throw new RecordConversionException($"field '{name}' must be a string, found {Describe(value)}");
        if (!allowEmpty && string.IsNullOrWhiteSpace(text)) throw new RecordConversionException($"field '{name}' is empty");
        return text;
    }

    /// <summary>A string field, or null when absent; a present field of another type is an error.</summary>
    public static string? OptionalString(JsonElement record, string name)
    {
        if (!record.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        return AsText(value) ?? throw new RecordConversionException($"field '{name}' must be a string, found {Describe(value)}");
    }

    /// <summary>Strings as is; numbers and booleans as written (CSV-free JSON often stores labels or ids as numbers).</summary>
    private static string? AsText(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => value.GetRawText(),
        _ => null,
    };

    /// <summary>Like <see cref="RequireString"/> but also accepts an array of strings, joined with "\n" (e.g. PubMedQA CONTEXTS).</summary>
    public static string RequireStringOrLines(JsonElement record, string name)
    {
        var value = Require(record, name);
        if (value.ValueKind != JsonValueKind.Array) return RequireString(record, name);
        var lines = new List<string>();
        foreach (var item in value.EnumerateArray())
        {
            lines.Add(AsText(item) ?? throw new RecordConversionException($"field '{name}' must hold strings, found {Describe(item)}"));
        }
        return string.Join('\n', lines);
    }

    public static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };

    public static string KeysOf(JsonElement record) =>
        record.ValueKind == JsonValueKind.Object
            ? "{" + string.Join(", ", record.EnumerateObject().Select(p => p.Name)) + "}"
            : Describe(record);
}
