using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace FedLlm.Generation.Endpoint;

/// <summary>At most <c>limit</c> requests in flight (a stream holds its place until it ends); the rest wait their turn.</summary>
internal sealed class ConcurrencyLimitedChatClient(IChatClient inner, int limit, IDisposable? owned = null) : DelegatingChatClient(inner)
{
    private readonly SemaphoreSlim _slots = new(limit, limit);

    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        await _slots.WaitAsync(cancellationToken);
        try
        {
            return await base.GetResponseAsync(messages, options, cancellationToken);
        }
        finally
        {
            _slots.Release();
        }
    }

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await _slots.WaitAsync(cancellationToken);
        try
        {
            await foreach (var update in base.GetStreamingResponseAsync(messages, options, cancellationToken)) yield return update;
        }
        finally
        {
            _slots.Release();
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _slots.Dispose();
            owned?.Dispose();
        }
        base.Dispose(disposing);
    }
}
