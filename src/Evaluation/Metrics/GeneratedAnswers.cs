using FedLlm.Evaluation.Suites;
using Microsoft.Extensions.AI;

namespace FedLlm.Evaluation.Metrics;

/// <summary>A model's answer to one item, or why there is none (e.g. the prompt does not fit the context).</summary>
public sealed record GeneratedAnswer(string Text, string? Error);

/// <summary>
/// Asks the evaluated model every item's prompt at once through the generator interface, so the in-process host decodes
/// them in batches. Greedy at temperature 0; above it each item samples with its own seed (suite seed + item position),
/// so an answer does not depend on what it was batched with. A failed item is recorded with its error and scored as wrong.
/// </summary>
public static class GeneratedAnswers
{
    public static Task<IReadOnlyList<GeneratedAnswer>> GenerateAsync(TaskContext context, CancellationToken cancellation) =>
        GenerateAsync(context.Chat, context.Items, context.Task.Temperature, context.Task.TopP, context.Task.MaxNewTokens, context.Suite.Seed, cancellation);

    /// <summary>Every item's answer from <paramref name="chat"/>; item i samples with seed <paramref name="seed"/> + i.</summary>
    public static async Task<IReadOnlyList<GeneratedAnswer>> GenerateAsync(IChatClient chat, IReadOnlyList<EvalItem> items, double temperature, double topP,
        int maxNewTokens, ulong seed, CancellationToken cancellation)
    {
        var requests = items.Select((item, i) => Ask(chat, Messages(item), new ChatOptions
        {
            Temperature = (float)temperature,
            TopP = (float)topP,
            MaxOutputTokens = maxNewTokens,
            Seed = unchecked((long)seed + i),
        }, cancellation));
        return await Task.WhenAll(requests);
    }

    public static IReadOnlyList<ChatMessage> Messages(EvalItem item)
    {
        var messages = new List<ChatMessage>();
        if (item.System is not null) messages.Add(new ChatMessage(ChatRole.System, item.System));
        messages.Add(new ChatMessage(ChatRole.User, item.Prompt ?? ""));
        return messages;
    }

    private static async Task<GeneratedAnswer> Ask(IChatClient chat, IReadOnlyList<ChatMessage> messages, ChatOptions options, CancellationToken cancellation)
    {
        try
        {
            var response = await chat.GetResponseAsync(messages, options, cancellation);
            return new GeneratedAnswer(response.Text, null);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or HttpRequestException)
        {
            return new GeneratedAnswer("", e.Message);
        }
    }
}
