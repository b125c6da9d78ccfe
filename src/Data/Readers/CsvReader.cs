using System.Text;

namespace FedLlm.Data.Readers;

/// <summary>CSV with a header row; each data row becomes a JSON object of strings keyed by the header names.</summary>
internal static class CsvReader
{
    public static IEnumerable<RawRecord> Read(string path)
    {
        using var reader = new StreamReader(path, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        var parser = new CsvRowParser(reader);
        var header = parser.ReadRow() ?? throw new DataFormatException($"{path}: the CSV file is empty (a header row is required).");
        if (header.Error is not null) throw new DataFormatException($"{path}:{header.StartLine}: bad header row: {header.Error}");
        var names = header.Fields;
        var duplicate = names.GroupBy(n => n, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new DataFormatException($"{path}:{header.StartLine}: the header names column '{duplicate.Key}' twice.");
        long index = 0;
        while (parser.ReadRow() is { } row)
        {
            index++;
            if (row.Error is not null)
                yield return RawRecord.Broken(path, index, row.StartLine, row.Error);
            else if (row.Fields.Count != names.Count)
                yield return RawRecord.Broken(path, index, row.StartLine, $"expected {names.Count} fields (as in the header), found {row.Fields.Count}");
            else
                yield return new RawRecord(path, index, row.StartLine, JsonValues.ObjectOfStrings(names, row.Fields));
        }
    }
}
