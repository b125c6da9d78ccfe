namespace FedLlm.Data.Readers;

/// <summary>Entry point for reading any supported file as a stream of <see cref="RawRecord"/>s.</summary>
public static class DatasetReader
{
    /// <summary>Streams the records of <paramref name="path"/>; the format is detected from the extension unless given.</summary>
    public static IEnumerable<RawRecord> Open(string path, FileFormat? format = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"Dataset file not found: {path}", path);
        return (format ?? DetectFormat(path)) switch
        {
            FileFormat.Json => JsonFileReader.Read(path),
            FileFormat.JsonLines => JsonLinesReader.Read(path),
            FileFormat.Csv => CsvReader.Read(path),
            FileFormat.Parquet => ParquetFileReader.Read(path),
            FileFormat.TextLines => TextFileReader.ReadLines(path),
            FileFormat.TextParagraphs => TextFileReader.ReadParagraphs(path),
            var other => throw new ArgumentOutOfRangeException(nameof(format), other, "Unknown file format."),
        };
    }

    /// <summary>
    /// .json → Json, .jsonl/.ndjson → JsonLines, .csv → Csv, .parquet → Parquet, .txt/.text → TextLines
    /// (paragraph mode must be asked for explicitly, because one-line-per-record is the common corpus layout).
    /// </summary>
    public static FileFormat DetectFormat(string path) =>
        Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".json" => FileFormat.Json,
            ".jsonl" or ".ndjson" => FileFormat.JsonLines,
            ".csv" => FileFormat.Csv,
            ".parquet" => FileFormat.Parquet,
            ".txt" or ".text" => FileFormat.TextLines,
            var extension => throw new DataFormatException(
                $"{path}: cannot tell the file format from the extension '{extension}'. Known extensions: " +
                ".json, .jsonl, .ndjson, .csv, .parquet, .txt, .text; or pass the format explicitly."),
        };
}
