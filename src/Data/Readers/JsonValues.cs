using System.Buffers;
using System.Collections;
using System.Globalization;
using System.Text.Json;

namespace FedLlm.Data.Readers;

/// <summary>Builds <see cref="JsonElement"/>s from CSV cells and Parquet values so all readers share one record type.</summary>
internal static class JsonValues
{
    public static JsonElement ObjectOfStrings(IReadOnlyList<string> names, IReadOnlyList<string> values)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            for (int i = 0; i < names.Count; i++) writer.WriteString(names[i], values[i]);
            writer.WriteEndObject();
        }
        return Parse(buffer);
    }

    /// <summary>Converts an untyped Parquet row (nested dictionaries, lists, primitives) to JSON.</summary>
    public static JsonElement FromObject(object? value)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer)) Write(writer, value);
        return Parse(buffer);
    }

    private static JsonElement Parse(ArrayBufferWriter<byte> buffer)
    {
        using var document = JsonDocument.Parse(buffer.WrittenMemory);
        return document.RootElement.Clone();
    }

    private static void Write(Utf8JsonWriter writer, object? value)
    {
        switch (value)
        {
            case null: writer.WriteNullValue(); break;
            case string s: writer.WriteStringValue(s); break;
            case ReadOnlyMemory<char> chars: writer.WriteStringValue(chars.Span); break;
            case Memory<char> chars: writer.WriteStringValue(chars.Span); break;
            case bool b: writer.WriteBooleanValue(b); break;
            case byte[] bytes: writer.WriteBase64StringValue(bytes); break;
            case ReadOnlyMemory<byte> bytes: writer.WriteBase64StringValue(bytes.Span); break;
            case sbyte or byte or short or ushort or int or uint or long:
                writer.WriteNumberValue(Convert.ToInt64(value, CultureInfo.InvariantCulture)); break;
            case ulong u: writer.WriteNumberValue(u); break;
            case float f when float.IsFinite(f): writer.WriteNumberValue(f); break;
            case double d when double.IsFinite(d): writer.WriteNumberValue(d); break;
            case decimal m: writer.WriteNumberValue(m); break;
            case DateTime t: writer.WriteStringValue(t); break;
            case DateTimeOffset t: writer.WriteStringValue(t); break;
            case IDictionary dictionary:
                writer.WriteStartObject();
                foreach (DictionaryEntry entry in dictionary)
                {
                    writer.WritePropertyName(Convert.ToString(entry.Key, CultureInfo.InvariantCulture) ?? "");
                    Write(writer, entry.Value);
                }
                writer.WriteEndObject();
                break;
            case IEnumerable items:
                writer.WriteStartArray();
                foreach (object? item in items) Write(writer, item);
                writer.WriteEndArray();
                break;
            default: writer.WriteStringValue(Convert.ToString(value, CultureInfo.InvariantCulture)); break;
        }
    }
}
