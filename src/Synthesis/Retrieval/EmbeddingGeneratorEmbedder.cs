using Microsoft.Extensions.AI;

namespace FedLlm.Synthesis.Retrieval;

/// <summary>Any Microsoft.Extensions.AI embedding generator (the in-process model, an endpoint's embeddings) as an <see cref="ITextEmbedder"/>.</summary>
public sealed class EmbeddingGeneratorEmbedder(IEmbeddingGenerator<string, Embedding<float>> generator) : ITextEmbedder
{
    public async Task<IReadOnlyList<float[]>> EmbedAsync(IReadOnlyList<string> texts, CancellationToken cancellation = default)
    {
        var embeddings = await generator.GenerateAsync(texts, cancellationToken: cancellation).ConfigureAwait(false);
        return [.. embeddings.Select(e => e.Vector.ToArray())];
    }
}
