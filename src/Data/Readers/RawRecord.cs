using System.Text.Json;

namespace FedLlm.Data.Readers;

/// <summary>
/// One record as read from a file, before it is interpreted. Every reader yields JSON values so that one set of
/// converters serves all file formats: CSV cells and text lines become JSON strings, Parquet cells their JSON equivalent.
/// </summary>
/// <param name="SourceFile">Path of the file the record came from.</param>
/// <param name="Index">1-based record number within the file (JSON array element, CSV/Parquet data row, JSONL record).</param>
/// <param name="Line">1-based line where the record starts, when the format has lines (JSONL, CSV, text); otherwise null.</param>
/// <param name="Value">The record; <c>default</c> when <paramref name="Error"/> is set.</param>
/// <param name="Key">The enclosing object key for files that are one JSON object: a client id (FedLLM-Bench) or an item id (PubMedQA).</param>
/// <param name="Error">Why the record could not be read (e.g. invalid JSON on this line); the loader applies the bad-row policy.</param>
public sealed record RawRecord(string SourceFile, long Index, long? Line, JsonElement Value, string? Key = null, string? Error = null)
{
    public bool IsValid => Error is null;

    /// <summary>"file:line" when the line is known, else "file (record N)"; used in every error message.</summary>
    public string Location => Line is { } line ? $"{SourceFile}:{line}" : $"{SourceFile} (record {Index})";

    public static RawRecord Broken(string sourceFile, long index, long? line, string error) =>
        new(sourceFile, index, line, default, null, error);
}
