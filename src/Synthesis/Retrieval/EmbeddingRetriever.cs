namespace FedLlm.Synthesis.Retrieval;

/// <summary>
/// Cosine similarity between the query's embedding and the pool's (FedIT-U2S's retrieval where the model or endpoint
/// provides embeddings; the research notes' suggested default). The pool is embedded once, up front.
/// </summary>
public sealed class EmbeddingRetriever : IExampleRetriever
{
    private readonly ITextEmbedder _embedder;
    private readonly float[][] _pool;
    private readonly double[] _norms;

    private EmbeddingRetriever(ITextEmbedder embedder, float[][] pool)
    {
        _embedder = embedder;
        _pool = pool;
        _norms = [.. pool.Select(Norm)];
    }

    public static async Task<EmbeddingRetriever> CreateAsync(ITextEmbedder embedder, IReadOnlyList<string> pool, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(embedder);
        ArgumentNullException.ThrowIfNull(pool);
        IReadOnlyList<float[]> vectors = pool.Count == 0 ? [] : await embedder.EmbedAsync(pool, cancellation).ConfigureAwait(false);
        if (vectors.Count != pool.Count) throw new InvalidOperationException($"the embedder returned {vectors.Count} vectors for {pool.Count} pool examples");
        if (vectors.Select(v => v.Length).Distinct().Count() > 1) throw new InvalidOperationException("the embedder returned vectors of different lengths");
        return new EmbeddingRetriever(embedder, [.. vectors]);
    }

    public int Count => _pool.Length;

    public async ValueTask<IReadOnlyList<RetrievedExample>> RetrieveAsync(string query, int k, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        IReadOnlyList<float[]> embedded = await _embedder.EmbedAsync([query], cancellation).ConfigureAwait(false);
        if (embedded.Count != 1) throw new InvalidOperationException($"the embedder returned {embedded.Count} vectors for one query");
        float[] q = embedded[0];
        if (_pool.Length > 0 && q.Length != _pool[0].Length)
            throw new InvalidOperationException($"the query embedding has {q.Length} values but the pool's have {_pool[0].Length}");
        double queryNorm = Norm(q);
        var scored = new List<RetrievedExample>(_pool.Length);
        for (int i = 0; i < _pool.Length; i++)
        {
            double denominator = queryNorm * _norms[i];
            if (denominator > 0) scored.Add(new RetrievedExample(i, Dot(q, _pool[i]) / denominator));
        }
        return Ranking.Top(scored, k);
    }

    private static double Dot(float[] a, float[] b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++) sum += (double)a[i] * b[i];
        return sum;
    }

    private static double Norm(float[] v) => Math.Sqrt(Dot(v, v));
}
