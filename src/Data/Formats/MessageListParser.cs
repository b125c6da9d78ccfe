using System.Text.Json;
using FedLlm.Data.Model;

namespace FedLlm.Data.Formats;

/// <summary>
/// Parses message lists in ShareGPT form ({from, value}: human/gpt/system) or OpenAI form ({role, content}:
/// user/assistant/system) into a <see cref="Conversation"/>.
/// </summary>
internal static class MessageListParser
{
    public static Role ParseRole(string speaker) => speaker.ToLowerInvariant() switch
    {
        "human" or "user" => Role.User,
        "gpt" or "assistant" or "chatgpt" or "bard" or "bing" or "model" => Role.Assistant,
        "system" => Role.System,
        _ => throw new RecordConversionException(
            $"unknown speaker '{speaker}' (expected human/user, gpt/assistant/model, or system)"),
    };

    /// <summary>One message object; <paramref name="where"/> names it in errors (e.g. "conversations[2]").</summary>
    public static Turn ParseMessage(JsonElement message, string where)
    {
        if (message.ValueKind != JsonValueKind.Object)
            throw new RecordConversionException($"{where} must be a message object, found {JsonFields.Describe(message)}");
        bool shareGpt = message.TryGetProperty("from", out _);
        string speakerField = shareGpt ? "from" : "role", textField = shareGpt ? "value" : "content";
        if (!message.TryGetProperty(speakerField, out _))
            throw new RecordConversionException($"{where} has neither 'from' nor 'role' (keys {JsonFields.KeysOf(message)})");
        try
        {
            return new Turn(ParseRole(JsonFields.RequireString(message, speakerField)), JsonFields.RequireString(message, textField));
        }
        catch (RecordConversionException ex)
        {
            throw new RecordConversionException($"{where}: {ex.Message}");
        }
    }

    public static List<Turn> ParseMessages(JsonElement list, string field)
    {
        if (list.ValueKind != JsonValueKind.Array)
            throw new RecordConversionException($"field '{field}' must be an array of messages, found {JsonFields.Describe(list)}");
        var turns = new List<Turn>();
        int i = 0;
        foreach (var message in list.EnumerateArray()) turns.Add(ParseMessage(message, $"{field}[{i++}]"));
        return turns;
    }

    /// <summary>
    /// Builds a conversation: a leading system message becomes <see cref="Conversation.System"/> (a record may give it
    /// as a 'system' field instead, not both); a leading assistant message is dropped, as FastChat's preprocessing
    /// does (fastchat/train/train.py skips the first message when it is not from the human).
    /// </summary>
    public static Conversation Build(List<Turn> turns, string? recordSystem, string field)
    {
        string? system = recordSystem;
        int start = 0;
        if (turns.Count > 0 && turns[0].Role == Role.System)
        {
            if (system is not null) throw new RecordConversionException($"both a 'system' field and a system message in '{field}'");
            system = turns[0].Content;
            start = 1;
        }
        if (start < turns.Count && turns[start].Role == Role.Assistant) start++;
        var body = turns.Skip(start).ToList();
        if (body.Count == 0) throw new RecordConversionException($"'{field}' holds no user message");
        for (int i = 0; i < body.Count; i++)
        {
            var expected = i % 2 == 0 ? Role.User : Role.Assistant;
            if (body[i].Role != expected)
                throw new RecordConversionException(
                    $"'{field}': message {i + start} is {body[i].Role.ToString().ToLowerInvariant()} where {expected.ToString().ToLowerInvariant()} " +
                    "was expected (messages must alternate user/assistant; only the first may be a system message)");
        }
        return new Conversation(body, system);
    }
}
