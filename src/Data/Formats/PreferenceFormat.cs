using System.Text.Json;
using FedLlm.Data.Model;

namespace FedLlm.Data.Formats;

/// <summary>
/// Preference records. The prompt is a string, a message list ('prompt', or LLaMA-Factory's 'conversations'),
/// and each answer is a string, a message object ({from, value} / {role, content}) or a message list whose last
/// message is the assistant answer (TRL's conversational preference layout).
/// </summary>
internal static class PreferenceFormat
{
    public static PreferenceExample Convert(JsonElement record, ExampleMetadata metadata) =>
        Convert(record, metadata, promptField: PromptField(record), "chosen", "rejected", systemField: "system");

    public static PreferenceExample Convert(JsonElement record, ExampleMetadata metadata, string promptField,
        string chosenField, string rejectedField, string? systemField)
    {
        string? system = systemField is null ? null : JsonFields.OptionalString(record, systemField);
        var promptValue = JsonFields.Require(record, promptField);
        var prompt = promptValue.ValueKind == JsonValueKind.String
            ? Conversation.SingleTurn(RequireNonEmpty(promptValue.GetString(), promptField), null, system)
            : MessageListParser.Build(MessageListParser.ParseMessages(promptValue, promptField), system, promptField);
        if (prompt.EndsWithAssistant)
            throw new RecordConversionException($"'{promptField}' must end with a user message, not an assistant one");
        return new PreferenceExample(prompt, Answer(record, chosenField), Answer(record, rejectedField), metadata);
    }

    private static string PromptField(JsonElement record) =>
        record.TryGetProperty("prompt", out _) ? "prompt"
        : record.TryGetProperty("conversations", out _) ? "conversations"
        : record.TryGetProperty("messages", out _) ? "messages"
        : "prompt";

    private static string Answer(JsonElement record, string field)
    {
        var value = JsonFields.Require(record, field);
        Turn turn = value.ValueKind switch
        {
            JsonValueKind.String => new Turn(Role.Assistant, value.GetString()!),
            JsonValueKind.Object => MessageListParser.ParseMessage(value, field),
            JsonValueKind.Array => LastMessage(value, field),
            _ => throw new RecordConversionException($"field '{field}' must be a string, a message or a message list, found {JsonFields.Describe(value)}"),
        };
        if (turn.Role != Role.Assistant) throw new RecordConversionException($"'{field}' must be an assistant message, not {turn.Role.ToString().ToLowerInvariant()}");
        return RequireNonEmpty(turn.Content, field);
    }

    private static Turn LastMessage(JsonElement list, string field)
    {
        var turns = MessageListParser.ParseMessages(list, field);
        return turns.Count > 0 ? turns[^1] : throw new RecordConversionException($"field '{field}' is an empty message list");
    }

    private static string RequireNonEmpty(string? text, string field) =>
        string.IsNullOrWhiteSpace(text) ? throw new RecordConversionException($"field '{field}' is empty") : text;
}
