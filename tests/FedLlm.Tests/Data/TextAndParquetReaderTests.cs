using FedLlm.Data;
using FedLlm.Data.Formats;
using FedLlm.Data.Loading;
using FedLlm.Data.Model;
using FedLlm.Data.Readers;
using FedLlm.Tests.Infrastructure;
using System.Text.Json.Serialization;
using Parquet;
using Parquet.Serialization;

namespace FedLlm.Tests.Data;

public sealed class TextAndParquetReaderTests
{
    [Fact]
    public void TextLinesAndParagraphs()
    {
        using var dir = new TempDirectory();
        string path = dir.File("c.txt");
        File.WriteAllText(path, "first line\nsecond line\n\n\nthird\n  \nfourth\nfifth\n");
        var lines = DatasetReader.Open(path).ToList();
        Assert.Equal(["first line", "second line", "third", "fourth", "fifth"], lines.Select(r => r.Value.GetProperty("text").GetString()));
        Assert.Equal([1L, 2L, 5L, 7L, 8L], lines.Select(r => r.Line!.Value));

        var paragraphs = DatasetReader.Open(path, FileFormat.TextParagraphs).ToList();
        Assert.Equal(["first line\nsecond line", "third", "fourth\nfifth"], paragraphs.Select(r => r.Value.GetProperty("text").GetString()));
        Assert.Equal([1L, 5L, 7L], paragraphs.Select(r => r.Line!.Value));
    }

    [Fact]
    public void FormatIsDetectedFromTheExtension()
    {
        Assert.Equal(FileFormat.Json, DatasetReader.DetectFormat("x/a.JSON"));
        Assert.Equal(FileFormat.JsonLines, DatasetReader.DetectFormat("a.jsonl"));
        Assert.Equal(FileFormat.JsonLines, DatasetReader.DetectFormat("a.ndjson"));
        Assert.Equal(FileFormat.Csv, DatasetReader.DetectFormat("a.csv"));
        Assert.Equal(FileFormat.Parquet, DatasetReader.DetectFormat("train-00000-of-00001.parquet"));
        Assert.Equal(FileFormat.TextLines, DatasetReader.DetectFormat("a.txt"));
        var ex = Assert.Throws<DataFormatException>(() => DatasetReader.DetectFormat("a.xlsx"));
        Assert.Contains("'.xlsx'", ex.Message);
        Assert.Throws<FileNotFoundException>(() => DatasetReader.Open("/nonexistent/a.json"));
    }

    /// <summary>Column names as in Hugging Face chat datasets (lower case).</summary>
    public sealed class Message
    {
        [JsonPropertyName("role")] public string? Role { get; set; }
        [JsonPropertyName("content")] public string? Content { get; set; }
    }

    public sealed class ChatRow
    {
        public int Id { get; set; }
        public double Score { get; set; }
        public bool Flag { get; set; }
        public string? Category { get; set; }
        public List<Message>? Messages { get; set; }
    }

    private static async Task WriteChatParquetAsync(string path, int rows, int rowGroupSize)
    {
        var data = Enumerable.Range(0, rows).Select(i => new ChatRow
        {
            Id = i,
            Score = i / 4.0,
            Flag = i % 2 == 0,
            Category = i % 3 == 0 ? null : "cat" + (i % 3),
            Messages =
            [
                new Message { Role = "user", Content = $"question {i}" },
                new Message { Role = "assistant", Content = $"answer {i}" },
            ],
        }).ToList();
        await using var stream = File.Create(path);
        await ParquetSerializer.SerializeAsync(data, stream, new ParquetOptions { RowGroupSize = rowGroupSize });
    }

    [Fact]
    public async Task ParquetRowGroupsAreReadInOrderWithNestedMessages()
    {
        using var dir = new TempDirectory();
        string path = dir.File("chat.parquet");
        await WriteChatParquetAsync(path, rows: 7, rowGroupSize: 3);
        var records = DatasetReader.Open(path).ToList();
        Assert.Equal(7, records.Count);
        Assert.Equal(Enumerable.Range(1, 7).Select(i => (long)i), records.Select(r => r.Index));
        var fifth = records[4].Value;
        Assert.Equal(4, fifth.GetProperty("Id").GetInt32());
        Assert.Equal(1.0, fifth.GetProperty("Score").GetDouble());
        Assert.True(fifth.GetProperty("Flag").GetBoolean());
        Assert.Equal("cat1", fifth.GetProperty("Category").GetString());
        Assert.Equal("answer 4", fifth.GetProperty("Messages")[1].GetProperty("content").GetString());
    }

    [Fact]
    public async Task ParquetConversationsLoadThroughAColumnMapping()
    {
        using var dir = new TempDirectory();
        string path = dir.File("chat.parquet");
        await WriteChatParquetAsync(path, rows: 5, rowGroupSize: 2);
        var loaded = DatasetLoader.Load<InstructionExample>(path, new DatasetLoadOptions
        {
            Mapping = ColumnMapping.Parse("conversations=Messages,label=Category"),
        });
        Assert.Equal(5, loaded.Examples.Count);
        var second = loaded.Examples[1];
        Assert.Equal("question 1", second.Conversation.Turns[0].Content);
        Assert.Equal("answer 1", second.Conversation.FinalResponse);
        Assert.Equal("cat1", second.Metadata.Category);
        Assert.Null(loaded.Examples[0].Metadata.Category);
    }

    [Fact]
    public void NonParquetFileGivesAClearError()
    {
        using var dir = new TempDirectory();
        string path = dir.File("fake.parquet");
        File.WriteAllText(path, "not parquet at all");
        var ex = Assert.Throws<DataFormatException>(() => DatasetReader.Open(path).ToList());
        Assert.Contains(path, ex.Message);
        Assert.Contains("Parquet", ex.Message);
    }
}
