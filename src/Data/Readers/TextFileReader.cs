using System.Text;

namespace FedLlm.Data.Readers;

/// <summary>Plain text corpora: each record is a JSON object <c>{"text": ...}</c>.</summary>
internal static class TextFileReader
{
    private static readonly string[] TextColumn = ["text"];

    /// <summary>One record per non-blank line (e.g. one Wikipedia article per line).</summary>
    public static IEnumerable<RawRecord> ReadLines(string path)
    {
        using var reader = new StreamReader(path, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        long lineNumber = 0, index = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            yield return new RawRecord(path, ++index, lineNumber, JsonValues.ObjectOfStrings(TextColumn, [line]));
        }
    }

    /// <summary>One record per paragraph: runs of non-blank lines joined with "\n", separated by blank lines.</summary>
    public static IEnumerable<RawRecord> ReadParagraphs(string path)
    {
        using var reader = new StreamReader(path, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        long lineNumber = 0, index = 0, paragraphStart = 0;
        var paragraph = new StringBuilder();
        while (true)
        {
            string? line = reader.ReadLine();
            lineNumber++;
            if (line is null || string.IsNullOrWhiteSpace(line))
            {
                if (paragraph.Length > 0)
                {
                    yield return new RawRecord(path, ++index, paragraphStart, JsonValues.ObjectOfStrings(TextColumn, [paragraph.ToString()]));
                    paragraph.Clear();
                }
                if (line is null) yield break;
                continue;
            }
            if (paragraph.Length == 0) paragraphStart = lineNumber;
            else paragraph.Append('\n');
            paragraph.Append(line);
        }
    }
}
