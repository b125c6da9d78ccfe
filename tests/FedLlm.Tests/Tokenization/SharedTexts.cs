using System.Text.Json;
using FedLlm.Tests.Infrastructure;

namespace FedLlm.Tests.Tokenization;

/// <summary>Every string of the shared datasets (call only from [SharedDataFact] tests).</summary>
internal static class SharedTexts
{
    public static List<string> JsonStrings(string relativePath)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(SharedData.PathOf(relativePath)));
        var strings = new List<string>();
        Collect(document.RootElement, strings);
        return strings;
    }

    public static List<string> JsonLinesField(string relativePath, string field) =>
        File.ReadLines(SharedData.PathOf(relativePath))
            .Where(line => line.Length > 0)
            .Select(line => JsonDocument.Parse(line).RootElement.GetProperty(field).GetString() ?? "")
            .ToList();

    public static List<string> Lines(string relativePath) => File.ReadAllLines(SharedData.PathOf(relativePath)).ToList();

    /// <summary>Alpaca, DPO and both raw corpora.</summary>
    public static List<string> All() =>
    [
        .. JsonStrings("data/alpaca/alpaca_en_demo.json"),
        .. JsonStrings("data/dpo/dpo_en_demo.json"),
        .. Lines("data/corpus/wiki_demo.txt"),
        .. JsonLinesField("data/corpus/c4_demo.jsonl", "text"),
    ];

    private static void Collect(JsonElement element, List<string> output)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String: output.Add(element.GetString()!); break;
            case JsonValueKind.Array: foreach (var item in element.EnumerateArray()) Collect(item, output); break;
            case JsonValueKind.Object: foreach (var property in element.EnumerateObject()) Collect(property.Value, output); break;
        }
    }
}
