using System.Runtime.CompilerServices;
using FedLlm.Data.Model;
using FedLlm.Data.Templates;
using FedLlm.Models;
using FedLlm.Models.Generation;
using Microsoft.Extensions.AI;

namespace FedLlm.Generation.Local;

/// <summary>
/// The in-process model as an <see cref="IChatClient"/>: messages rendered with a chat template, decoded on a shared
/// <see cref="ModelHost"/> (batched with every other caller of the host) with one of its adapters. Also serves raw
/// completions (a prompt continued as is), which chat clients do not cover. Option defaults follow OpenAI's API:
/// temperature 1, top-p 1, a fresh random seed unless one is given, and as many tokens as the context leaves.
/// </summary>
public sealed class LocalChatClient : IChatClient
{
    /// <summary>OpenAI's default for raw completions.</summary>
    public const int DefaultCompletionTokens = 16;

    private readonly ModelHost _host;
    private readonly int _adapter;
    private readonly IDisposable? _owned;

    /// <param name="adapter">The host's adapter index (0: the model as loaded).</param>
    /// <param name="owned">Disposed with this client (the host, when no one else uses it).</param>
    public LocalChatClient(ModelHost host, ChatTemplate template, string modelId, int adapter = 0, IDisposable? owned = null)
    {
        _host = host;
        Template = template;
        ModelId = modelId;
        _adapter = adapter;
        _owned = owned;
    }

    public ChatTemplate Template { get; }
    public string ModelId { get; }

    /// <summary>The model behind the client (its tokenizer bounds chunks; its hidden states give embeddings).</summary>
    public PretrainedModel Model => _host.Model;

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        await StartChat(messages, options, cancellationToken).ResponseAsync(cancellationToken);

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        Deferred(() => StartChat(messages, options, cancellationToken), cancellationToken);

    /// <summary>Starts a chat response: throws at once on a bad request or a full host, then streams.</summary>
    public LocalGeneration StartChat(IEnumerable<ChatMessage> messages, ChatOptions? options, CancellationToken cancellationToken)
    {
        string prompt = Template.RenderPrompt(ToConversation(messages));
        return Start(prompt, options, defaultMaxTokens: null, [Template.EndOfTurn], Template.ContinuationPrefix, cancellationToken);
    }

    /// <summary>Starts a raw completion of <paramref name="prompt"/> (no template): throws at once on a bad request or a full host.</summary>
    public LocalGeneration StartCompletion(string prompt, ChatOptions? options, CancellationToken cancellationToken) =>
        Start(prompt, options, DefaultCompletionTokens, [], "", cancellationToken);

    private LocalGeneration Start(string prompt, ChatOptions? options, int? defaultMaxTokens, IReadOnlyList<string> stops, string prefix, CancellationToken cancellationToken)
    {
        var ids = _host.Model.EncodePrompt(prompt);
        var generation = new LocalGeneration(ModelId, ids.Count, prefix);
        var job = new GenerationJob
        {
            PromptIds = ids,
            Options = SamplingOptions.ToGeneration(options, ids.Count, _host.Context, defaultMaxTokens, stops),
            Adapter = _adapter,
            OnText = generation.Write,
            Cancellation = cancellationToken,
        };
        generation.Attach(_host.GenerateAsync(job));
        return generation;
    }

    /// <summary>System messages become the system prompt; the rest must alternate user/assistant and end with the user.</summary>
    private static Conversation ToConversation(IEnumerable<ChatMessage> messages)
    {
        var list = messages.ToList();
        var system = list.Where(m => m.Role == ChatRole.System).Select(m => m.Text).ToList();
        var turns = list.Where(m => m.Role != ChatRole.System).Select(m =>
            m.Role == ChatRole.User ? new Turn(Role.User, m.Text)
            : m.Role == ChatRole.Assistant ? new Turn(Role.Assistant, m.Text)
            : throw new ArgumentException($"messages with role '{m.Role}' are not supported (system, user and assistant are)")).ToList();
        var conversation = new Conversation(turns, system.Count == 0 ? null : string.Join("\n\n", system));
        if (conversation.EndsWithAssistant) throw new ArgumentException("the last message must come from the user");
        return conversation;
    }

    /// <summary>Starts on the first MoveNext, so a bad request surfaces to whoever enumerates.</summary>
    private static async IAsyncEnumerable<ChatResponseUpdate> Deferred(Func<LocalGeneration> start, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var generation = start();
        await foreach (var update in generation.UpdatesAsync(cancellationToken)) yield return update;
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is not null ? null
        : serviceType == typeof(ChatClientMetadata) ? new ChatClientMetadata("fedllm", null, ModelId)
        : serviceType.IsInstanceOfType(this) ? this
        : null;

    public void Dispose() => _owned?.Dispose();
}
