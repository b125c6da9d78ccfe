using System.Text;
using System.Text.Json;
using FedLlm.Federation.Splits;

namespace FedLlm.Tests.Federation;

public class FedLlmBenchReaderTests
{
    /// <summary>Returns at most a few bytes per read, to exercise records that straddle buffer refills.</summary>
    private sealed class TrickleStream(byte[] data, int chunk) : MemoryStream(data)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, chunk));

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, chunk)], cancellationToken);
    }

    private const string Sample = """
        {
          "user-b": [ {"instruction": "hi", "response": "hello", "nested": {"a": [1, 2]}}, {"instruction": "q2", "response": "r2"} ],
          "user-a": [],
          "7": [ {"prompt": "p", "chosen": "c", "rejected": "r"} ]
        }
        """;

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(1 << 20)]
    public void StreamsClientsInKeyOrder(int chunk)
    {
        var seen = new List<(int Client, string Id, int InClient, int Global, string Text)>();
        FedLlmBenchIndex index = FedLlmBenchReader.Read(
            new TrickleStream(Encoding.UTF8.GetBytes(Sample), chunk),
            r => seen.Add((r.ClientIndex, r.ClientId, r.IndexInClient, r.GlobalIndex, r.Record.GetProperty(r.ClientIndex == 0 ? "instruction" : "prompt").GetString()!)));
        Assert.Equal(
            [new FedLlmBenchClient(0, "user-b", 0, 2), new FedLlmBenchClient(1, "user-a", 2, 0), new FedLlmBenchClient(2, "7", 2, 1)],
            index.Clients);
        Assert.Equal([(0, "user-b", 0, 0, "hi"), (0, "user-b", 1, 1, "q2"), (2, "7", 0, 2, "p")], seen);
        ClientSplit split = index.ToSplit();
        Assert.Equal(["user-b", "user-a", "7"], split.ClientNames);
        Assert.Equal([2, 0, 1], split.Sizes());
    }

    [Fact]
    public async Task AsyncReadHandlesRecordsLargerThanTheBuffer()
    {
        string big = new('x', 300_000);
        string json = $$"""{"c0": [{"instruction": "{{big}}", "response": "ok"}, {"instruction": "small", "response": "ok"}]}""";
        var lengths = new List<int>();
        FedLlmBenchIndex index = await FedLlmBenchReader.ReadAsync(
            new TrickleStream(Encoding.UTF8.GetBytes(json), 10_000),
            r => lengths.Add(r.Record.GetProperty("instruction").GetString()!.Length));
        Assert.Equal([300_000, 5], lengths);
        Assert.Equal(2, index.RecordCount);
    }

    [Fact]
    public void ReadAllClonesRecords()
    {
        (FedLlmBenchIndex index, IReadOnlyList<IReadOnlyList<JsonElement>> records) =
            FedLlmBenchReader.ReadAll(new MemoryStream(Encoding.UTF8.GetBytes(Sample)));
        Assert.Equal(3, index.Clients.Count);
        Assert.Equal([2, 0, 1], records.Select(r => r.Count));
        Assert.Equal("r2", records[0][1].GetProperty("response").GetString());
    }

    [Theory]
    [InlineData("[1, 2]", "expected a JSON object mapping client id to an array of records, found StartArray")]
    [InlineData("""{"a": {"x": 1}}""", "client 'a' (index 0) maps to a StartObject, expected an array of records")]
    [InlineData("""{"a": [], "a": []}""", "client id 'a' occurs twice")]
    [InlineData("""{"a": [{"x": 1}""", "invalid JSON")]
    [InlineData("", "invalid JSON")]
    [InlineData("""{"a": []} {}""", "invalid JSON")]
    public void MalformedFilesAreExplained(string json, string expected)
    {
        var error = Assert.Throws<InvalidDataException>(() =>
            FedLlmBenchReader.Read(new TrickleStream(Encoding.UTF8.GetBytes(json), 3), sourceName: "clients.json"));
        Assert.StartsWith("clients.json: ", error.Message);
        Assert.Contains(expected, error.Message);
    }
}
