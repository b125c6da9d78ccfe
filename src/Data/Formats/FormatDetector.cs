using System.Text.Json;

namespace FedLlm.Data.Formats;

/// <summary>Recognises a built-in format from one record's keys.</summary>
public static class FormatDetector
{
    public static RecordFormat? TryDetect(JsonElement record)
    {
        if (record.ValueKind != JsonValueKind.Object) return null;
        bool Has(string name) => record.TryGetProperty(name, out _);
        bool hasMessages = Has("conversations") || Has("messages");
        if (Has("chosen") && Has("rejected") && (Has("prompt") || hasMessages)) return RecordFormat.Preference;
        if (hasMessages) return RecordFormat.Conversations;
        if (Has("instruction") && Has("output")) return RecordFormat.Alpaca;
        if (Has("instruction") && Has("response")) return RecordFormat.InstructionResponse;
        if (Has("question") && Has("answer")) return RecordFormat.Gsm8k;
        if (Has("goal") && Has("target")) return RecordFormat.AdvBench;
        if (Has("text")) return RecordFormat.Text;
        return null;
    }

    public static RecordFormat Detect(JsonElement record, string location) =>
        TryDetect(record) ?? throw new DataFormatException(
            $"{location}: cannot recognise the record format from its keys {JsonFields.KeysOf(record)}. Known layouts: " +
            "{instruction, input, output}, {instruction, response}, {conversations|messages}, {prompt|conversations, chosen, rejected}, " +
            "{question, answer}, {goal, target}, {text}. Otherwise give a column mapping such as prompt=question,response=answer.");
}
