using System.Text.Json.Nodes;
using FedLlm.Generation.Local;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.AI;

namespace FedLlm.Serving.Protocol;

/// <summary>OpenAI's response bodies and server-sent-event chunks for chat and text completions.</summary>
public static class Responses
{
    public static JsonObject ChatCompletion(LocalGeneration generation, ChatResponse response) => new()
    {
        ["id"] = "chatcmpl-" + generation.Id,
        ["object"] = "chat.completion",
        ["created"] = generation.Created.ToUnixTimeSeconds(),
        ["model"] = generation.ModelId,
        ["choices"] = new JsonArray(new JsonObject
        {
            ["index"] = 0,
            ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = response.Text },
            ["logprobs"] = null,
            ["finish_reason"] = Finish(response.FinishReason),
        }),
        ["usage"] = Usage(response.Usage),
    };

    public static JsonObject TextCompletion(IReadOnlyList<LocalGeneration> generations, IReadOnlyList<ChatResponse> responses) => new()
    {
        ["id"] = "cmpl-" + generations[0].Id,
        ["object"] = "text_completion",
        ["created"] = generations[0].Created.ToUnixTimeSeconds(),
        ["model"] = generations[0].ModelId,
        ["choices"] = new JsonArray(responses.Select((r, i) => (JsonNode)TextChoice(i, r.Text, Finish(r.FinishReason))).ToArray()),
        ["usage"] = Usage(new UsageDetails
        {
            InputTokenCount = responses.Sum(r => r.Usage?.InputTokenCount ?? 0),
            OutputTokenCount = responses.Sum(r => r.Usage?.OutputTokenCount ?? 0),
            TotalTokenCount = responses.Sum(r => r.Usage?.TotalTokenCount ?? 0),
        }),
    };

    /// <summary>Streams a generation as server-sent events, ending with [DONE]; the usage chunk only when asked for.</summary>
    public static async Task StreamAsync(HttpResponse http, LocalGeneration generation, bool chat, bool includeUsage, CancellationToken cancellation)
    {
        http.ContentType = "text/event-stream";
        http.Headers.CacheControl = "no-cache";
        if (chat) await SendAsync(http, Chunk(generation, chat, new JsonObject { ["role"] = "assistant", ["content"] = "" }, null), cancellation);
        await foreach (string text in generation.TextAsync(cancellation))
            await SendAsync(http, Chunk(generation, chat, chat ? new JsonObject { ["content"] = text } : JsonValue.Create(text), null), cancellation);
        var result = await generation.Result;
        await SendAsync(http, Chunk(generation, chat, chat ? new JsonObject() : JsonValue.Create(""), Finish(LocalGeneration.FinishReason(result))), cancellation);
        if (includeUsage)
        {
            var usage = Chunk(generation, chat, null, null);
            usage["choices"] = new JsonArray();
            usage["usage"] = Usage(generation.Usage(result));
            await SendAsync(http, usage, cancellation);
        }
        await http.WriteAsync("data: [DONE]\n\n", cancellation);
        await http.Body.FlushAsync(cancellation);
    }

    private static JsonObject Chunk(LocalGeneration generation, bool chat, JsonNode? content, string? finish) => new()
    {
        ["id"] = (chat ? "chatcmpl-" : "cmpl-") + generation.Id,
        ["object"] = chat ? "chat.completion.chunk" : "text_completion",
        ["created"] = generation.Created.ToUnixTimeSeconds(),
        ["model"] = generation.ModelId,
        ["choices"] = new JsonArray(chat
            ? new JsonObject { ["index"] = 0, ["delta"] = content, ["logprobs"] = null, ["finish_reason"] = finish }
            : TextChoice(0, content?.GetValue<string>() ?? "", finish)),
    };

    private static JsonObject TextChoice(int index, string text, string? finish) =>
        new() { ["index"] = index, ["text"] = text, ["logprobs"] = null, ["finish_reason"] = finish };

    private static async Task SendAsync(HttpResponse http, JsonObject chunk, CancellationToken cancellation)
    {
        await http.WriteAsync("data: " + chunk.ToJsonString() + "\n\n", cancellation);
        await http.Body.FlushAsync(cancellation);
    }

    private static string? Finish(ChatFinishReason? reason) =>
        reason == ChatFinishReason.Length ? "length" : reason == ChatFinishReason.Stop ? "stop" : null;

    private static JsonObject Usage(UsageDetails? usage) => new()
    {
        ["prompt_tokens"] = usage?.InputTokenCount ?? 0,
        ["completion_tokens"] = usage?.OutputTokenCount ?? 0,
        ["total_tokens"] = usage?.TotalTokenCount ?? 0,
    };
}
