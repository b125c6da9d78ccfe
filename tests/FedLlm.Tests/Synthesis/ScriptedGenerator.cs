using System.Collections.Concurrent;
using Microsoft.Extensions.AI;

namespace FedLlm.Tests.Synthesis;

/// <summary>
/// Stands in for the LLM behind a pipeline (ChatGPT in FedGC, a professional model in KnowledgeSG): answers each prompt
/// with a function of it and records every request, so a pipeline's own logic (prompts, filters, tags, seeds) is tested
/// without a model. FedLlm's real generators (in-process and over HTTP) are tested end to end elsewhere.
/// </summary>
public sealed class ScriptedGenerator(Func<string, string> answer) : IChatClient
{
    public ConcurrentQueue<(string Prompt, ChatOptions? Options)> Requests { get; } = new();

    public IReadOnlyList<string> Prompts => [.. Requests.Select(r => r.Prompt)];

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        string prompt = string.Join("\n", messages.Select(m => m.Text));
        Requests.Enqueue((prompt, options));
        return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, answer(prompt))));
    }

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        CancellationToken cancellationToken = default) => throw new NotSupportedException("the pipelines do not stream");

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }
}
