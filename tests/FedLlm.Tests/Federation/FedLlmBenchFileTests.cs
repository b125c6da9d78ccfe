using FedLlm.Data;
using FedLlm.Data.Loading;
using FedLlm.Data.Model;
using FedLlm.Federation.Configuration;
using FedLlm.Federation.Runs;
using FedLlm.Federation.Splits;
using FedLlm.Tests.Infrastructure;

namespace FedLlm.Tests.Federation;

/// <summary>
/// FedLLM-Bench's files through the one dataset path: <c>{client id: [records]}</c> files of instruction, multi-turn and
/// preference records, streamed, split naturally by client in key order; and <c>local_&lt;id&gt;.json</c> baselines.
/// </summary>
public class FedLlmBenchFileTests
{
    private static RunConfig Natural(string path, string method = "sft") => new()
    {
        Method = method,
        Data = new DataSection { Path = path, HeldOutFraction = 0 },
        Split = new SplitSection { Method = "natural", Field = "client" },
    };

    private static RunData Prepare(RunConfig config) => RunData.Prepare(config, RunRecords.Load(config));

    [Fact]
    public void InstructionMultiTurnAndPreferenceFilesSplitByTheirKeysInFileOrder()
    {
        using var temp = new TempDirectory();
        string instruction = temp.File("chatbotIT.json");
        File.WriteAllText(instruction, """
            {"user-b": [{"instruction": "hi", "response": "hello"}, {"instruction": "q2", "response": "r2"}],
             "7": [{"instruction": "q3", "response": "r3"}],
             "user-a": [{"instruction": "q4", "response": "r4"}, {"instruction": "q5", "response": "r5"}, {"instruction": "q6", "response": "r6"}]}
            """);
        var data = Prepare(Natural(instruction));
        Assert.Equal(["user-b", "7", "user-a"], data.Split.ClientNames);
        Assert.Equal([2, 1, 3], data.Split.Sizes());
        Assert.Equal(["q4", "q5", "q6"], data.Clients[2].Train.Select(e => ((InstructionExample)e).Conversation.Turns[0].Content).Order());

        string multiTurn = temp.File("wildchat.json");
        File.WriteAllText(multiTurn, """
            {"c1": [{"conversations": [{"from": "human", "value": "a"}, {"from": "gpt", "value": "b"}, {"from": "human", "value": "c"}, {"from": "gpt", "value": "d"}]}],
             "c0": [{"conversations": [{"from": "human", "value": "e"}, {"from": "gpt", "value": "f"}]}]}
            """);
        data = Prepare(Natural(multiTurn));
        Assert.Equal(["c1", "c0"], data.Split.ClientNames);
        Assert.Equal(4, ((InstructionExample)data.Clients[0].Train[0]).Conversation.Turns.Count);

        string preference = temp.File("chatbotPA.json");
        File.WriteAllText(preference, """{"u9": [{"prompt": "p", "chosen": "good", "rejected": "bad"}], "u1": [{"prompt": "q", "chosen": "yes", "rejected": "no"}]}""");
        data = Prepare(Natural(preference, method: "dpo"));
        Assert.Equal(["u9", "u1"], data.Split.ClientNames);
        Assert.Equal("good", ((PreferenceExample)data.Clients[0].Train[0]).Chosen);
        // The same file for SFT is refused with one line naming it.
        var wrong = Assert.Throws<ArgumentException>(() => RunRecords.Load(Natural(preference)));
        Assert.Contains("chatbotPA.json", wrong.Message);
    }

    [Fact]
    public void RecordsLargerThanTheReadBufferStream()
    {
        using var temp = new TempDirectory();
        string path = temp.File("big.json");
        File.WriteAllText(path, $$"""{"c0": [{"instruction": "{{new string('x', 300_000)}}", "response": "ok"}, {"instruction": "small", "response": "ok"}], "c1": [{"instruction": "s", "response": "t"}]}""");
        var report = new LoadReport(path);
        var examples = DatasetLoader.Stream(path, null, report).Cast<InstructionExample>().ToList();
        Assert.Equal([300_000, 5, 1], examples.Select(e => e.Conversation.Turns[0].Content.Length));
        Assert.Equal(["c0", "c0", "c1"], examples.Select(e => e.Metadata.ClientId));
    }

    [Fact]
    public void ALocalBaselineFileIsOneClientNamedByItsFile()
    {
        using var temp = new TempDirectory();
        string path = temp.File("local_65.json");
        File.WriteAllText(path, """[{"instruction": "a", "response": "b"}, {"instruction": "c", "response": "d"}, {"instruction": "e", "response": "f", "client_id": "other"}]""");
        Assert.Equal("65", DatasetLoader.LocalFileClient(path));
        Assert.Null(DatasetLoader.LocalFileClient(temp.File("locals_65.json")));
        var data = Prepare(Natural(path) with { Strategy = new StrategySection { Algorithm = "local" } });
        // A record's own client column still wins over the file name.
        Assert.Equal(["65", "other"], data.Split.ClientNames);
        Assert.Equal([2, 1], data.Split.Sizes());
    }

    [Fact]
    public void PartitionPreviewsAFedLlmBenchFileWithoutAModel()
    {
        using var temp = new TempDirectory();
        string path = temp.File("wildchat_3c.json");
        string Conversation(int turns) => "{\"conversations\": [" + string.Join(", ", Enumerable.Range(0, turns).Select(t =>
            $"{{\"from\": \"human\", \"value\": \"q{t}\"}}, {{\"from\": \"gpt\", \"value\": \"a{t}\"}}")) + "]}";
        File.WriteAllText(path, $$"""{"zeta": [{{Conversation(2)}}, {{Conversation(1)}}], "alpha": [{{Conversation(3)}}], "mid": [{{Conversation(1)}}, {{Conversation(1)}}, {{Conversation(2)}}]}""");
        var result = CliProcess.Run("partition", "--data.path", path, "--data.held-out-fraction", "0", "--split.method", "natural", "--split.field", "client",
            "--out", temp.File("preview"));
        Assert.True(result.ExitCode == 0, result.Stderr);
        var rows = result.Stdout.Split('\n').Where(l => l.StartsWith('|') && !l.StartsWith("|-", StringComparison.Ordinal)).Skip(1).ToList();
        Assert.Equal(["zeta", "alpha", "mid"], rows.Select(r => r.Split('|', StringSplitOptions.TrimEntries)[2]));
        Assert.Contains("3 clients; records per client 1–3", result.Stdout);
        var split = ClientSplit.Load(Path.Combine(temp.File("preview"), "split.json"));
        Assert.Equal(["zeta", "alpha", "mid"], split.ClientNames);
        Assert.Equal([2, 1, 3], split.Sizes());
    }

    [Fact]
    public void AMalformedFileFailsNamingFileAndLine()
    {
        using var temp = new TempDirectory();
        string path = temp.File("broken.json");
        File.WriteAllText(path, "{\"a\": [{\"instruction\": \"x\", \"response\": \"y\"},\n {\"instruction\": ");
        var error = Assert.Throws<DataFormatException>(() => DatasetLoader.Load<Example>(path));
        Assert.StartsWith(path + ":", error.Message);
    }
}
