using System.Text;
using FedLlm.Data;
using FedLlm.Data.Readers;
using FedLlm.Tests.Infrastructure;

namespace FedLlm.Tests.Data;

public sealed class JsonFileReaderTests
{
    [Fact]
    public void TopLevelArrayYieldsOneRecordPerElementWithIndex()
    {
        using var dir = new TempDirectory();
        string path = dir.File("a.json");
        File.WriteAllText(path, """
            [
              {"instruction": "one", "output": "1"},
              {"instruction": "two", "output": "2"},
              {"instruction": "three", "output": "3"}
            ]
            """);
        var records = DatasetReader.Open(path).ToList();
        Assert.Equal([1L, 2L, 3L], records.Select(r => r.Index));
        Assert.Equal(["one", "two", "three"], records.Select(r => r.Value.GetProperty("instruction").GetString()));
        Assert.All(records, r => Assert.Null(r.Key));
        Assert.Equal($"{path} (record 2)", records[1].Location);
    }

    [Fact]
    public void ObjectOfArraysKeysRecordsByClient()
    {
        using var dir = new TempDirectory();
        string path = dir.File("clients.json");
        File.WriteAllText(path, """{"c7": [{"text": "a"}, {"text": "b"}], "c2": [], "c9": [{"text": "c"}]}""");
        var records = DatasetReader.Open(path).ToList();
        Assert.Equal(["c7", "c7", "c9"], records.Select(r => r.Key));
        Assert.Equal(["a", "b", "c"], records.Select(r => r.Value.GetProperty("text").GetString()));
    }

    [Fact]
    public void ObjectOfObjectsKeysRecordsById()
    {
        using var dir = new TempDirectory();
        string path = dir.File("items.json");
        File.WriteAllText(path, """{"101": {"QUESTION": "q1", "nested": {"x": [1, 2]}}, "102": {"QUESTION": "q2"}}""");
        var records = DatasetReader.Open(path).ToList();
        Assert.Equal(["101", "102"], records.Select(r => r.Key));
        Assert.Equal(2, records[0].Value.GetProperty("nested").GetProperty("x").GetArrayLength());
    }

    [Fact]
    public void RecordsSpanningManyChunksAreReadWhole()
    {
        // 200 records of ~2 KB plus one of 300 KB: crosses the 64 KB chunk boundary many times and forces the buffer to grow.
        using var dir = new TempDirectory();
        string path = dir.File("big.json");
        var builder = new StringBuilder("[\n");
        for (int i = 0; i < 200; i++) builder.Append($"  {{\"id\": {i}, \"text\": \"{new string((char)('a' + i % 26), 2000)}\"}},\n");
        builder.Append($"  {{\"id\": 200, \"text\": \"{new string('z', 300_000)}\"}}\n]");
        File.WriteAllText(path, builder.ToString(), new UTF8Encoding(encoderShouldEmitUTF8Identifier: true));
        var records = DatasetReader.Open(path).ToList();
        Assert.Equal(201, records.Count);
        Assert.Equal(Enumerable.Range(0, 201), records.Select(r => r.Value.GetProperty("id").GetInt32()));
        Assert.Equal(2000, records[57].Value.GetProperty("text").GetString()!.Length);
        Assert.Equal(300_000, records[200].Value.GetProperty("text").GetString()!.Length);
    }

    [Fact]
    public void InvalidJsonNamesFileAndLine()
    {
        using var dir = new TempDirectory();
        string path = dir.File("bad.json");
        File.WriteAllText(path, "[\n {\"a\": 1},\n {\"a\": oops}\n]");
        var ex = Assert.Throws<DataFormatException>(() => DatasetReader.Open(path).ToList());
        Assert.Contains($"{path}:3", ex.Message);
    }

    [Fact]
    public void TopLevelScalarIsRejected()
    {
        using var dir = new TempDirectory();
        string path = dir.File("scalar.json");
        File.WriteAllText(path, "42");
        var ex = Assert.Throws<DataFormatException>(() => DatasetReader.Open(path).ToList());
        Assert.Contains("array or an object", ex.Message);
    }

    [Fact]
    public void EmptyArrayYieldsNothing()
    {
        using var dir = new TempDirectory();
        string path = dir.File("empty.json");
        File.WriteAllText(path, "[]");
        Assert.Empty(DatasetReader.Open(path));
    }
}
