using FedLlm.Data.Formats;
using FedLlm.Data.Readers;

namespace FedLlm.Data.Loading;

/// <summary>How to read and interpret a dataset file; the defaults detect everything and skip bad rows.</summary>
public sealed record DatasetLoadOptions
{
    public static readonly DatasetLoadOptions Default = new();

    /// <summary>Physical format; null detects it from the file extension.</summary>
    public FileFormat? FileFormat { get; init; }

    public RecordFormat RecordFormat { get; init; } = RecordFormat.Auto;

    /// <summary>Column names for unknown layouts and/or metadata columns. Content columns imply <see cref="Formats.RecordFormat.Mapped"/>.</summary>
    public ColumnMapping? Mapping { get; init; }

    public BadRowPolicy BadRows { get; init; } = BadRowPolicy.Skip;

    public ConversionOptions Conversion { get; init; } = ConversionOptions.Default;

    /// <summary>
    /// For files that are one JSON object keyed by id: true (FedLLM-Bench, key = client) copies the key into
    /// <see cref="Model.ExampleMetadata.ClientId"/>; false (PubMedQA, key = item id) ignores it.
    /// </summary>
    public bool ObjectKeyIsClientId { get; init; } = true;
}
