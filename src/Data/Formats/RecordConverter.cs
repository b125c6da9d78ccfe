using System.Text.Json;
using FedLlm.Data.Model;
using FedLlm.Data.Readers;

namespace FedLlm.Data.Formats;

/// <summary>Turns raw records of one concrete format into examples and fills their metadata.</summary>
public sealed class RecordConverter
{
    private readonly ColumnMapping _mapping;
    private readonly ConversionOptions _options;

    public RecordConverter(RecordFormat format, ColumnMapping? mapping = null, ConversionOptions? options = null)
    {
        if (format == RecordFormat.Auto) throw new ArgumentException("Resolve Auto with FormatDetector before creating a converter.", nameof(format));
        if (format == RecordFormat.Mapped && mapping?.MapsContent != true)
            throw new ArgumentException("The Mapped format needs a column mapping that names content columns.", nameof(mapping));
        mapping?.Validate();
        Format = format;
        _mapping = mapping ?? new ColumnMapping();
        _options = options ?? ConversionOptions.Default;
    }

    public RecordFormat Format { get; }

    /// <summary>Converts one record; a record that does not fit throws <see cref="RecordConversionException"/> (without location).</summary>
    /// <param name="keyIsClient">Whether the record's enclosing object key (FedLLM-Bench) is its client id.</param>
    public Example Convert(RawRecord record, bool keyIsClient = true)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (!record.IsValid) throw new RecordConversionException(record.Error!);
        var value = JsonFields.RequireObject(record.Value);
        var metadata = ReadMetadata(value, record.Location, keyIsClient ? record.Key : null);
        return Format switch
        {
            RecordFormat.Alpaca => InstructionFormats.Alpaca(value, metadata, _options),
            RecordFormat.InstructionResponse => InstructionFormats.InstructionResponse(value, metadata),
            RecordFormat.Conversations => InstructionFormats.Conversations(value, metadata),
            RecordFormat.Preference => PreferenceFormat.Convert(value, metadata),
            RecordFormat.Gsm8k => InstructionFormats.Gsm8k(value, metadata),
            RecordFormat.AdvBench => InstructionFormats.AdvBench(value, metadata),
            RecordFormat.Text => new TextExample(JsonFields.RequireString(value, "text", allowEmpty: false), metadata),
            RecordFormat.Mapped => MappedFormat.Convert(value, metadata, _mapping, _options),
            _ => throw new InvalidOperationException($"Unhandled format {Format}."),
        };
    }

    /// <summary>
    /// Metadata from mapped columns (which must be strings), else from the conventional names 'client_id',
    /// 'language', 'category' and 'origin' when those hold strings or numbers (other types are ignored, not errors).
    /// </summary>
    private ExampleMetadata ReadMetadata(JsonElement record, string location, string? key) => new()
    {
        ClientId = Field(record, _mapping.ClientId, "client_id") ?? key,
        Language = Field(record, _mapping.Language, "language"),
        Category = Field(record, _mapping.Category, "category"),
        ReferenceAnswer = _mapping.ReferenceAnswer is null ? null : JsonFields.OptionalString(record, _mapping.ReferenceAnswer),
        Source = location,
        Origin = Field(record, null, "origin"),
    };

    private static string? Field(JsonElement record, string? mapped, string conventional)
    {
        if (mapped is not null) return JsonFields.OptionalString(record, mapped);
        if (!record.TryGetProperty(conventional, out var value)) return null;
        return value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Number => value.GetRawText(),
            _ => null,
        };
    }
}
