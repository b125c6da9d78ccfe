using System.Runtime.CompilerServices;
using System.Threading.Channels;
using FedLlm.Models.Generation;
using Microsoft.Extensions.AI;

namespace FedLlm.Generation.Local;

/// <summary>
/// A started local generation: its text as it is decoded (without the template's continuation prefix) and its result
/// as an M.E.AI response with usage and finish reason.
/// </summary>
public sealed class LocalGeneration
{
    private readonly Channel<string> _text = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly string _prefix;
    private string _head = "";
    private bool _pastPrefix;
    private Task<GenerationResult>? _result;

    internal LocalGeneration(string modelId, int promptTokens, string prefix)
    {
        ModelId = modelId;
        PromptTokens = promptTokens;
        _prefix = prefix;
        _pastPrefix = prefix.Length == 0;
        Id = Guid.NewGuid().ToString("N");
        Created = DateTimeOffset.UtcNow;
    }

    public string ModelId { get; }
    public string Id { get; }
    public DateTimeOffset Created { get; }
    public int PromptTokens { get; }

    public Task<GenerationResult> Result => _result ?? throw new InvalidOperationException("not started");

    internal void Attach(Task<GenerationResult> result)
    {
        _result = result;
        result.ContinueWith(_ => _text.Writer.TryComplete(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>Called on the decoding thread with each new piece of the continuation.</summary>
    internal void Write(string chunk)
    {
        if (!_pastPrefix)
        {
            // Hold text back until it is clear whether it starts with the prefix (vicuna's space before the answer).
            _head += chunk;
            if (_head.Length < _prefix.Length && _prefix.StartsWith(_head, StringComparison.Ordinal)) return;
            _pastPrefix = true;
            chunk = _head.StartsWith(_prefix, StringComparison.Ordinal) ? _head[_prefix.Length..] : _head;
        }
        if (chunk.Length > 0) _text.Writer.TryWrite(chunk);
    }

    /// <summary>The text as it is decoded; ends when the generation does (and throws if it failed or was cancelled).</summary>
    public async IAsyncEnumerable<string> TextAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (string chunk in _text.Reader.ReadAllAsync(cancellationToken)) yield return chunk;
        await Result;
    }

    public async Task<ChatResponse> ResponseAsync(CancellationToken cancellationToken = default)
    {
        var text = new System.Text.StringBuilder();
        await foreach (string chunk in TextAsync(cancellationToken)) text.Append(chunk);
        var result = await Result;
        return new ChatResponse(new ChatMessage(ChatRole.Assistant, text.ToString()))
        {
            ModelId = ModelId,
            ResponseId = Id,
            CreatedAt = Created,
            FinishReason = FinishReason(result),
            Usage = Usage(result),
        };
    }

    public async IAsyncEnumerable<ChatResponseUpdate> UpdatesAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (string chunk in TextAsync(cancellationToken))
            yield return new ChatResponseUpdate(ChatRole.Assistant, chunk) { ModelId = ModelId, ResponseId = Id, CreatedAt = Created };
        var result = await Result;
        yield return new ChatResponseUpdate(ChatRole.Assistant, [new UsageContent(Usage(result))])
        {
            ModelId = ModelId,
            ResponseId = Id,
            CreatedAt = Created,
            FinishReason = FinishReason(result),
        };
    }

    public UsageDetails Usage(GenerationResult result) => new()
    {
        InputTokenCount = PromptTokens,
        OutputTokenCount = result.TokenIds.Count,
        TotalTokenCount = PromptTokens + result.TokenIds.Count,
    };

    /// <summary>"length" when the token budget or the context ran out, otherwise "stop".</summary>
    public static ChatFinishReason FinishReason(GenerationResult result) =>
        result.StopReason is StopReason.MaxNewTokens or StopReason.ContextFull ? ChatFinishReason.Length : ChatFinishReason.Stop;
}
