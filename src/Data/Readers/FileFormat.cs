namespace FedLlm.Data.Readers;

/// <summary>Physical file layout; see <see cref="DatasetReader.DetectFormat"/> for the extension mapping.</summary>
public enum FileFormat
{
    /// <summary>A top-level JSON array of records, or a JSON object whose values are records or arrays of records.</summary>
    Json,
    /// <summary>One JSON value per line (JSONL / NDJSON); blank lines are ignored.</summary>
    JsonLines,
    /// <summary>RFC 4180 CSV with a header row.</summary>
    Csv,
    /// <summary>Apache Parquet, as in Hugging Face dataset downloads.</summary>
    Parquet,
    /// <summary>Plain text, one record per non-empty line.</summary>
    TextLines,
    /// <summary>Plain text, one record per blank-line-separated paragraph.</summary>
    TextParagraphs,
}
