using FedLlm.Data;
using FedLlm.Data.Formats;
using FedLlm.Data.Loading;
using FedLlm.Data.Model;
using FedLlm.Tests.Infrastructure;

namespace FedLlm.Tests.Data;

public sealed class DatasetLoaderTests
{
    [Fact]
    public void AutoDetectsFromTheFirstValidRecordAndReportsSkippedRows()
    {
        using var dir = new TempDirectory();
        string path = dir.File("mixed.jsonl");
        File.WriteAllLines(path,
        [
            "not json",
            """{"instruction": "a", "output": "1"}""",
            """{"instruction": "b", "output": ""}""",
            """{"instruction": "c"}""",
            """{"instruction": "d", "input": "e", "output": "2"}""",
        ]);
        var loaded = DatasetLoader.Load<InstructionExample>(path);
        Assert.Equal(RecordFormat.Alpaca, loaded.Report.Format);
        Assert.Equal((5L, 2L, 3L), (loaded.Report.Read, loaded.Report.Kept, loaded.Report.Skipped));
        var reasons = loaded.Report.SkipReasons;
        Assert.Equal(3, reasons.Count);
        Assert.StartsWith($"{path}:1: invalid JSON", reasons[0]);
        Assert.Equal($"{path}:3: field 'output' is empty", reasons[1]);
        Assert.Equal($"{path}:4: missing required field 'output'", reasons[2]);
        Assert.Contains("read 5, kept 2, skipped 3", loaded.Report.ToString());
    }

    [Fact]
    public void FailPolicyStopsAtTheFirstBadRowWithItsLocation()
    {
        using var dir = new TempDirectory();
        string path = dir.File("d.json");
        File.WriteAllText(path, """[{"instruction": "a", "response": "b"}, {"instruction": "c", "response": 7.5}, {"instruction": "d"}]""");
        var ok = DatasetLoader.Load<InstructionExample>(path);
        Assert.Equal(2, ok.Examples.Count); // 7.5 is accepted as text "7.5"
        var ex = Assert.Throws<DataFormatException>(() =>
            DatasetLoader.Load<InstructionExample>(path, new DatasetLoadOptions { BadRows = BadRowPolicy.Fail }));
        Assert.Equal($"{path} (record 3): missing required field 'response'", ex.Message);
    }

    [Fact]
    public void SkipReasonsAreCappedButCountsAreNot()
    {
        using var dir = new TempDirectory();
        string path = dir.File("many.jsonl");
        File.WriteAllLines(path, Enumerable.Range(0, 25).Select(i => i == 0 ? """{"text": "ok"}""" : """{"text": ""}"""));
        var loaded = DatasetLoader.Load<TextExample>(path);
        Assert.Equal((1L, 24L), (loaded.Report.Kept, loaded.Report.Skipped));
        Assert.Equal(LoadReport.MaxReasons, loaded.Report.SkipReasons.Count);
    }

    [Fact]
    public void AskingForTheWrongKindOfExampleIsAnError()
    {
        using var dir = new TempDirectory();
        string path = dir.File("p.jsonl");
        File.WriteAllText(path, """{"prompt": "p", "chosen": "c", "rejected": "r"}""" + "\n");
        var ex = Assert.Throws<DataFormatException>(() => DatasetLoader.Load<InstructionExample>(path));
        Assert.Contains("holds preference examples", ex.Message);
        Assert.Single(DatasetLoader.Load<Example>(path).Examples);
    }

    [Fact]
    public void ExplicitFormatAndMetadataMappingOnTopOfIt()
    {
        using var dir = new TempDirectory();
        string path = dir.File("c.csv");
        File.WriteAllText(path, "instruction,response,topic\nhi,hello,greet\n");
        var loaded = DatasetLoader.Load<InstructionExample>(path, new DatasetLoadOptions
        {
            RecordFormat = RecordFormat.InstructionResponse,
            Mapping = ColumnMapping.Parse("label=topic"),
        });
        Assert.Equal("greet", Assert.Single(loaded.Examples).Metadata.Category);
    }

    [Fact]
    public void UnrecognisedRecordsFailTheLoadEvenWhenSkipping()
    {
        using var dir = new TempDirectory();
        string path = dir.File("u.jsonl");
        File.WriteAllText(path, """{"foo": "bar"}""" + "\n");
        var ex = Assert.Throws<DataFormatException>(() => DatasetLoader.Load<Example>(path));
        Assert.StartsWith($"{path}:1: cannot recognise", ex.Message);
    }
}
