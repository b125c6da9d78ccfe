using System.Text.Json;

namespace FedLlm.Cli.Commands;

/// <summary>Reads the texts to score: lines of a text file, or the "text" field of each JSONL line.</summary>
internal static class ScoreRecords
{
    public static IEnumerable<(int Line, string Text)> Read(string path, string? format, int? limit)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: data file does not exist", path);
        format ??= Path.GetExtension(path).Equals(".jsonl", StringComparison.OrdinalIgnoreCase) ? "jsonl" : "text";
        int count = 0, lineNumber = 0;
        foreach (string line in File.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            if (limit is int max && count >= max) yield break;
            count++;
            yield return (lineNumber, format == "jsonl" ? TextField(path, lineNumber, line) : line);
        }
    }

    private static string TextField(string path, int lineNumber, string line)
    {
        try
        {
            using var document = JsonDocument.Parse(line);
            if (document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String)
                return text.GetString()!;
            throw new InvalidDataException($"{path}:{lineNumber}: record has no string \"text\" field");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}:{lineNumber}: invalid JSON ({e.Message})", e);
        }
    }
}
