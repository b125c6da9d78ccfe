using FedLlm.Data;
using FedLlm.Data.Loading;
using FedLlm.Data.Model;
using FedLlm.Data.Readers;
using FedLlm.Tests.Infrastructure;

namespace FedLlm.Tests.Data;

public sealed class JsonLinesReaderTests
{
    private const string WithBrokenLine =
        "{\"question\": \"1+1?\", \"answer\": \"2\\n#### 2\"}\n" +
        "\n" +
        "{\"question\": \"broken\", \"answer\": \n" +
        "{\"question\": \"2+2?\", \"answer\": \"#### 4\"}\n";

    [Fact]
    public void LinesCarryIndexAndLineNumberAndBrokenLinesBecomeErrors()
    {
        using var dir = new TempDirectory();
        string path = dir.File("d.jsonl");
        File.WriteAllText(path, WithBrokenLine);
        var records = DatasetReader.Open(path).ToList();
        Assert.Equal([1L, 2L, 3L], records.Select(r => r.Index));
        Assert.Equal([1L, 3L, 4L], records.Select(r => r.Line!.Value));
        Assert.True(records[0].IsValid);
        Assert.False(records[1].IsValid);
        Assert.Contains("invalid JSON", records[1].Error);
        Assert.Equal($"{path}:3", records[1].Location);
    }

    [Fact]
    public void SkipPolicyCountsTheBrokenLine()
    {
        using var dir = new TempDirectory();
        string path = dir.File("d.jsonl");
        File.WriteAllText(path, WithBrokenLine);
        var loaded = DatasetLoader.Load<InstructionExample>(path);
        Assert.Equal(2, loaded.Examples.Count);
        Assert.Equal((3L, 2L, 1L), (loaded.Report.Read, loaded.Report.Kept, loaded.Report.Skipped));
        Assert.StartsWith($"{path}:3: invalid JSON", Assert.Single(loaded.Report.SkipReasons));
    }

    [Fact]
    public void FailPolicyThrowsWithFileAndLine()
    {
        using var dir = new TempDirectory();
        string path = dir.File("d.jsonl");
        File.WriteAllText(path, WithBrokenLine);
        var ex = Assert.Throws<DataFormatException>(() =>
            DatasetLoader.Load<InstructionExample>(path, new DatasetLoadOptions { BadRows = BadRowPolicy.Fail }));
        Assert.StartsWith($"{path}:3: invalid JSON", ex.Message);
    }
}
