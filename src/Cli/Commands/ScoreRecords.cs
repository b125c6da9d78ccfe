using System.Text.Json;
using FedLlm.Data.Readers;

namespace FedLlm.Cli.Commands;

/// <summary>Reads the texts to score: lines of a text file, or the "text" field of each JSONL line.</summary>
internal static class ScoreRecords
{
    public static IEnumerable<(int Line, string Text)> Read(string path, string? format, int? limit)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: data file does not exist", path);
        format ??= Path.GetExtension(path).Equals(".jsonl", StringComparison.OrdinalIgnoreCase) ? "jsonl" : "text";
        var records = DatasetReader.Open(path, format == "jsonl" ? FileFormat.JsonLines : FileFormat.TextLines);
        foreach (var record in limit is int max ? records.Take(max) : records)
        {
            if (record.Error is { } error) throw new InvalidDataException($"{record.Location}: {error}");
            if (record.Value.ValueKind != JsonValueKind.Object
                || !record.Value.TryGetProperty("text", out var text) || text.ValueKind != JsonValueKind.String)
                throw new InvalidDataException($"{record.Location}: record has no string \"text\" field");
            yield return ((int)record.Line!.Value, text.GetString()!);
        }
    }
}
