namespace FedLlm.Synthesis.Retrieval;

/// <summary>
/// Turns texts into embedding vectors: the seam where the in-process model or an OpenAI-compatible endpoint (e.g. an
/// adapter over Microsoft.Extensions.AI's IEmbeddingGenerator) plugs into <see cref="EmbeddingRetriever"/>.
/// </summary>
public interface ITextEmbedder
{
    /// <summary>One vector per text, all of the same length, in the order given.</summary>
    Task<IReadOnlyList<float[]>> EmbedAsync(IReadOnlyList<string> texts, CancellationToken cancellation = default);
}
