using System.Text;

namespace FedLlm.Data.Readers;

/// <summary>One CSV row: its fields, the line it starts on, and a parse error if the row is malformed.</summary>
internal sealed record CsvRow(IReadOnlyList<string> Fields, long StartLine, string? Error);

/// <summary>
/// RFC 4180 row parser: comma separator, fields optionally enclosed in double quotes, "" inside quotes is a quote,
/// quoted fields may span lines. CRLF, LF and lone CR all end a row. Completely empty lines are skipped.
/// </summary>
internal sealed class CsvRowParser(TextReader reader)
{
    private long _line = 1;

    public CsvRow? ReadRow()
    {
        while (true)
        {
            int next = reader.Peek();
            if (next < 0) return null;
            if (next is '\r' or '\n') { ConsumeLineBreak(); continue; }
            return ParseRow();
        }
    }

    private CsvRow ParseRow()
    {
        long startLine = _line;
        var fields = new List<string>();
        var field = new StringBuilder();
        string? error = null;
        while (true)
        {
            field.Clear();
            if (reader.Peek() == '"')
            {
                reader.Read();
                if (!ReadQuotedField(field))
                    return new CsvRow(fields, startLine, $"unterminated quoted field starting in the row at line {startLine}");
                int after = reader.Peek();
                if (after is not (',' or '\r' or '\n' or -1))
                {
                    error ??= $"unexpected character '{(char)after}' after a closing quote (quotes inside a field must be doubled)";
                    ReadUnquotedField(field); // keep going to the end of the row so the next row starts cleanly
                }
            }
            else
            {
                ReadUnquotedField(field);
            }
            fields.Add(field.ToString());
            int terminator = reader.Read();
            if (terminator == ',') continue;
            if (terminator == '\r' && reader.Peek() == '\n') reader.Read();
            if (terminator is '\r' or '\n') _line++;
            return new CsvRow(fields, startLine, error);
        }
    }

    /// <summary>Reads after an opening quote up to the closing quote; false when the file ends first.</summary>
    private bool ReadQuotedField(StringBuilder field)
    {
        while (true)
        {
            int c = reader.Read();
            if (c < 0) return false;
            if (c == '"')
            {
                if (reader.Peek() != '"') return true;
                reader.Read();
                field.Append('"');
                continue;
            }
            if (c == '\n' || (c == '\r' && reader.Peek() != '\n')) _line++;
            field.Append((char)c);
        }
    }

    private void ReadUnquotedField(StringBuilder field)
    {
        while (reader.Peek() is var c && c is not (',' or '\r' or '\n' or -1))
        {
            field.Append((char)reader.Read());
        }
    }

    private void ConsumeLineBreak()
    {
        if (reader.Read() == '\r' && reader.Peek() == '\n') reader.Read();
        _line++;
    }
}
