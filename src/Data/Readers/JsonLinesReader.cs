using System.Text;
using System.Text.Json;

namespace FedLlm.Data.Readers;

/// <summary>JSONL: one JSON value per line. A line that is not valid JSON becomes a broken record, not an exception.</summary>
internal static class JsonLinesReader
{
    public static IEnumerable<RawRecord> Read(string path)
    {
        using var reader = new StreamReader(path, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        long lineNumber = 0, index = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            index++;
            yield return Parse(path, index, lineNumber, line);
        }
    }

    private static RawRecord Parse(string path, long index, long lineNumber, string line)
    {
        try
        {
            using var document = JsonDocument.Parse(line);
            return UnreadableJsonText.Find(document.RootElement) is { } problem
                ? RawRecord.Broken(path, index, lineNumber, problem)
                : new RawRecord(path, index, lineNumber, document.RootElement.Clone());
        }
        catch (JsonException ex)
        {
            return RawRecord.Broken(path, index, lineNumber, $"invalid JSON ({ex.Message})");
        }
    }
}
