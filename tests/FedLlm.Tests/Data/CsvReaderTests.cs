using FedLlm.Data;
using FedLlm.Data.Readers;
using FedLlm.Tests.Infrastructure;

namespace FedLlm.Tests.Data;

public sealed class CsvReaderTests
{
    private static List<RawRecord> ReadCsv(TempDirectory dir, string content)
    {
        string path = dir.File("t.csv");
        File.WriteAllText(path, content);
        return DatasetReader.Open(path).ToList();
    }

    [Fact]
    public void QuotedFieldsWithCommasQuotesAndNewlines()
    {
        using var dir = new TempDirectory();
        var records = ReadCsv(dir,
            "goal,target\r\n" +
            "plain,\"Sure, here is\"\r\n" +
            "\"say \"\"hi\"\"\",\"line one\r\nline two\nline three\"\r\n" +
            ",\"\"\r\n" +
            "last,row");
        Assert.Equal(4, records.Count);
        Assert.All(records, r => Assert.True(r.IsValid, r.Error));
        Assert.Equal("Sure, here is", records[0].Value.GetProperty("target").GetString());
        Assert.Equal("say \"hi\"", records[1].Value.GetProperty("goal").GetString());
        Assert.Equal("line one\r\nline two\nline three", records[1].Value.GetProperty("target").GetString());
        Assert.Equal("", records[2].Value.GetProperty("goal").GetString());
        Assert.Equal("", records[2].Value.GetProperty("target").GetString());
        Assert.Equal("row", records[3].Value.GetProperty("target").GetString());
        // Lines: header 1, row 2, the multi-line row starts at 3 and spans 3 lines, so the next rows start at 6 and 7.
        Assert.Equal([2L, 3L, 6L, 7L], records.Select(r => r.Line!.Value));
        Assert.Equal([1L, 2L, 3L, 4L], records.Select(r => r.Index));
    }

    [Fact]
    public void BlankLinesAreSkippedAndLoneCarriageReturnEndsARow()
    {
        using var dir = new TempDirectory();
        var records = ReadCsv(dir, "a,b\n\n1,2\r3,4\n\n");
        Assert.Equal(["1", "3"], records.Select(r => r.Value.GetProperty("a").GetString()));
        Assert.Equal([3L, 4L], records.Select(r => r.Line!.Value));
    }

    [Fact]
    public void WrongFieldCountIsABrokenRecordAndReadingContinues()
    {
        using var dir = new TempDirectory();
        var records = ReadCsv(dir, "a,b\n1,2,3\n4,5\n");
        Assert.False(records[0].IsValid);
        Assert.Contains("expected 2 fields", records[0].Error);
        Assert.True(records[1].IsValid);
        Assert.Equal("5", records[1].Value.GetProperty("b").GetString());
    }

    [Fact]
    public void TextAfterAClosingQuoteIsReported()
    {
        using var dir = new TempDirectory();
        var records = ReadCsv(dir, "a,b\n\"x\"y,2\nok,3\n");
        Assert.False(records[0].IsValid);
        Assert.Contains("after a closing quote", records[0].Error);
        Assert.Equal("ok", records[1].Value.GetProperty("a").GetString());
    }

    [Fact]
    public void UnterminatedQuoteIsReportedWithItsStartLine()
    {
        using var dir = new TempDirectory();
        var records = ReadCsv(dir, "a,b\n1,2\n3,\"never closed\n4,5\n");
        Assert.Equal(2, records.Count);
        Assert.False(records[1].IsValid);
        Assert.Contains("unterminated", records[1].Error);
        Assert.EndsWith(":3", records[1].Location);
    }

    [Fact]
    public void DuplicateHeaderAndEmptyFileAreErrors()
    {
        using var dir = new TempDirectory();
        Assert.Contains("twice", Assert.Throws<DataFormatException>(() => ReadCsv(dir, "a,a\n1,2\n")).Message);
        Assert.Contains("empty", Assert.Throws<DataFormatException>(() => ReadCsv(dir, "")).Message);
    }
}
