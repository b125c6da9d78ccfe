using System.Text.Json;
using Microsoft.Extensions.AI;

namespace FedLlm.Serving.Protocol;

/// <summary>
/// The fields of a /v1/chat/completions or /v1/completions body that matter here, checked with a clear message per
/// field. Fields other APIs send that change nothing for this server (user, penalties at their defaults, ...) are ignored.
/// </summary>
public sealed record ParsedRequest(string Model, ChatOptions Options, bool Stream, bool IncludeUsage)
{
    public IReadOnlyList<ChatMessage> Messages { get; init; } = [];
    public IReadOnlyList<string> Prompts { get; init; } = [];

    public static ParsedRequest Chat(JsonElement body)
    {
        var request = Common(body);
        if (!body.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array || messages.GetArrayLength() == 0)
            throw ApiError.BadRequest("'messages' must be a non-empty array", "messages");
        return request with { Messages = messages.EnumerateArray().Select(Message).ToArray() };
    }

    public static ParsedRequest Completion(JsonElement body)
    {
        var request = Common(body);
        if (!body.TryGetProperty("prompt", out var prompt)) throw ApiError.BadRequest("'prompt' is required", "prompt");
        string[] prompts = prompt.ValueKind switch
        {
            JsonValueKind.String => [prompt.GetString()!],
            JsonValueKind.Array when prompt.GetArrayLength() > 0 && prompt.EnumerateArray().All(p => p.ValueKind == JsonValueKind.String) =>
                prompt.EnumerateArray().Select(p => p.GetString()!).ToArray(),
            _ => throw ApiError.BadRequest("'prompt' must be a string or a non-empty array of strings (token-id prompts are not supported)", "prompt"),
        };
        if (request.Stream && prompts.Length > 1) throw ApiError.BadRequest("streaming takes a single prompt", "prompt");
        if (body.TryGetProperty("echo", out var echo) && echo.ValueKind == JsonValueKind.True) throw ApiError.BadRequest("'echo' is not supported", "echo");
        return request with { Prompts = prompts };
    }

    private static ParsedRequest Common(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object) throw ApiError.BadRequest("the request body must be a JSON object");
        string model = body.TryGetProperty("model", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString()! : throw ApiError.BadRequest("'model' is required", "model");
        if (body.TryGetProperty("n", out var n) && n.ValueKind != JsonValueKind.Null && !(n.TryGetInt32(out int count) && count == 1))
            throw ApiError.BadRequest("only n = 1 is supported", "n");
        var options = new ChatOptions
        {
            Temperature = Number(body, "temperature"),
            TopP = Number(body, "top_p"),
            // Newer OpenAI clients send max_completion_tokens; older ones and /v1/completions max_tokens.
            MaxOutputTokens = Integer(body, "max_completion_tokens") ?? Integer(body, "max_tokens"),
            Seed = Long(body, "seed"),
            StopSequences = Stops(body),
        };
        bool stream = body.TryGetProperty("stream", out var s) && s.ValueKind == JsonValueKind.True;
        bool usage = body.TryGetProperty("stream_options", out var so) && so.ValueKind == JsonValueKind.Object
            && so.TryGetProperty("include_usage", out var iu) && iu.ValueKind == JsonValueKind.True;
        return new ParsedRequest(model, options, stream, usage);
    }

    private static ChatMessage Message(JsonElement message, int index)
    {
        string field = $"messages[{index}]";
        if (message.ValueKind != JsonValueKind.Object || !message.TryGetProperty("role", out var role) || role.ValueKind != JsonValueKind.String)
            throw ApiError.BadRequest($"{field} must be an object with a 'role'", field);
        string text = message.TryGetProperty("content", out var content) ? content.ValueKind switch
        {
            JsonValueKind.String => content.GetString()!,
            // Content parts: only text parts carry anything a text model reads.
            JsonValueKind.Array => string.Concat(content.EnumerateArray().Select(part =>
                part.ValueKind == JsonValueKind.Object && part.TryGetProperty("type", out var t) && t.GetString() == "text" && part.TryGetProperty("text", out var x)
                    ? x.GetString() : throw ApiError.BadRequest($"{field}.content: only text parts are supported", field))),
            JsonValueKind.Null => "",
            _ => throw ApiError.BadRequest($"{field}.content must be a string or an array of text parts", field),
        } : "";
        string name = role.GetString()!;
        // "developer" is OpenAI's newer name for the system role.
        var chatRole = name switch
        {
            "system" or "developer" => ChatRole.System,
            "user" => ChatRole.User,
            "assistant" => ChatRole.Assistant,
            _ => throw ApiError.BadRequest($"{field}.role '{name}' is not supported (system, developer, user, assistant)", field),
        };
        return new ChatMessage(chatRole, text);
    }

    private static float? Number(JsonElement body, string name)
    {
        if (!body.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        return value.ValueKind == JsonValueKind.Number ? value.GetSingle() : throw ApiError.BadRequest($"'{name}' must be a number", name);
    }

    private static int? Integer(JsonElement body, string name)
    {
        if (!body.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        return value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int number) ? number : throw ApiError.BadRequest($"'{name}' must be an integer", name);
    }

    private static long? Long(JsonElement body, string name)
    {
        if (!body.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        return value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out long number) ? number : throw ApiError.BadRequest($"'{name}' must be an integer", name);
    }

    private static List<string>? Stops(JsonElement body)
    {
        if (!body.TryGetProperty("stop", out var stop) || stop.ValueKind == JsonValueKind.Null) return null;
        return stop.ValueKind switch
        {
            JsonValueKind.String => [stop.GetString()!],
            JsonValueKind.Array when stop.EnumerateArray().All(s => s.ValueKind == JsonValueKind.String) => stop.EnumerateArray().Select(s => s.GetString()!).ToList(),
            _ => throw ApiError.BadRequest("'stop' must be a string or an array of strings", "stop"),
        };
    }
}
