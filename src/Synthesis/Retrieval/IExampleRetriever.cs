namespace FedLlm.Synthesis.Retrieval;

/// <summary>
/// Finds the pool examples most related to a text (FedIT-U2S: the k examples shown with each chunk). Rankings are
/// deterministic: higher score first, then lower pool index. Asynchronous because an embedding retriever may call a
/// model or an endpoint for the query.
/// </summary>
public interface IExampleRetriever
{
    /// <summary>Number of pool examples.</summary>
    int Count { get; }

    /// <summary>Up to <paramref name="k"/> examples, best first; fewer when fewer relate at all (BM25 leaves out examples sharing no term).</summary>
    ValueTask<IReadOnlyList<RetrievedExample>> RetrieveAsync(string query, int k, CancellationToken cancellation = default);
}
