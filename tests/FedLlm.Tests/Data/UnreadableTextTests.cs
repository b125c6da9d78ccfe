using FedLlm.Data;
using FedLlm.Data.Loading;
using FedLlm.Data.Model;
using FedLlm.Tests.Infrastructure;

namespace FedLlm.Tests.Data;

/// <summary>
/// Found by fuzzing: JSON whose strings are not valid text (a lone surrogate escape, invalid UTF-8) parsed, then threw
/// InvalidOperationException in a converter. Such a record is now a bad row; such a client key is a bad file.
/// </summary>
public sealed class UnreadableTextTests
{
    [Fact]
    public void ARecordWithALoneSurrogateIsASkippedRow()
    {
        using var dir = new TempDirectory();
        string path = dir.File("d.jsonl");
        File.WriteAllLines(path, ["""{"instruction": "a\ud800", "output": "1"}""", """{"instruction": "b", "output": "2"}"""]);
        var loaded = DatasetLoader.Load<InstructionExample>(path);
        Assert.Equal((2L, 1L), (loaded.Report.Read, loaded.Report.Kept));
        Assert.StartsWith($"{path}:1: a string or key is not valid text", Assert.Single(loaded.Report.SkipReasons));
    }

    [Fact]
    public void InvalidUtf8InAJsonFileIsASkippedRow()
    {
        using var dir = new TempDirectory();
        string path = dir.File("d.json");
        File.WriteAllBytes(path, [.. "[{\"instruction\": \"a"u8, 0xE0, .. "\", \"output\": \"1\"}, {\"instruction\": \"b\", \"output\": \"2\"}]"u8]);
        var loaded = DatasetLoader.Load<InstructionExample>(path);
        Assert.Equal((2L, 1L), (loaded.Report.Read, loaded.Report.Kept));
        Assert.Contains("not valid text", Assert.Single(loaded.Report.SkipReasons));
    }

    [Fact]
    public void AClientKeyThatIsNotTextFailsTheFile()
    {
        using var dir = new TempDirectory();
        string path = dir.File("clients.json");
        File.WriteAllText(path, """{"\ud800": [{"instruction": "a", "output": "b"}]}""");
        var error = Assert.Throws<DataFormatException>(() => DatasetLoader.Load<InstructionExample>(path));
        Assert.Contains("a top-level key is not valid text", error.Message);
    }
}
