using FedLlm.Synthesis.Text;

namespace FedLlm.Synthesis.Retrieval;

/// <summary>
/// Okapi BM25 over the pool (Robertson and Zaragoza 2009, "The Probabilistic Relevance Framework: BM25 and Beyond"):
/// score(q, d) = Σ_{t ∈ q} idf(t) · tf·(k1 + 1) / (tf + k1·(1 − b + b·|d|/avgdl)), with Lucene's non-negative
/// idf(t) = ln(1 + (N − df + 0.5)/(df + 0.5)), k1 = 1.2, b = 0.75, each distinct query term counted once, terms from
/// <see cref="WordTokenizer"/>. Exact and in memory, rather than Lucene.Net: Lucene 4.8 stores each document's length
/// in a one-byte norm, so its BM25 scores are approximate and near-ties can flip, and a pool of a few thousand
/// examples needs no on-disk index or analyzer chain.
/// </summary>
public sealed class Bm25Retriever : IExampleRetriever
{
    public const double DefaultK1 = 1.2;
    public const double DefaultB = 0.75;

    private readonly Dictionary<string, List<(int Document, int Count)>> _postings = new(StringComparer.Ordinal);
    private readonly int[] _lengths;
    private readonly double _averageLength;

    public Bm25Retriever(IReadOnlyList<string> pool, double k1 = DefaultK1, double b = DefaultB)
    {
        ArgumentNullException.ThrowIfNull(pool);
        if (!(k1 >= 0) || double.IsInfinity(k1)) throw new ArgumentOutOfRangeException(nameof(k1), k1, "k1 must be finite and >= 0.");
        if (!(b >= 0 && b <= 1)) throw new ArgumentOutOfRangeException(nameof(b), b, "b must be in [0, 1].");
        K1 = k1;
        B = b;
        _lengths = new int[pool.Count];
        for (int d = 0; d < pool.Count; d++)
        {
            IReadOnlyList<string> tokens = WordTokenizer.Tokenize(pool[d]);
            _lengths[d] = tokens.Count;
            foreach (var group in tokens.GroupBy(t => t, StringComparer.Ordinal))
            {
                if (!_postings.TryGetValue(group.Key, out var list)) _postings[group.Key] = list = [];
                list.Add((d, group.Count()));
            }
        }
        _averageLength = pool.Count == 0 ? 0 : _lengths.Average();
    }

    public double K1 { get; }

    public double B { get; }

    public int Count => _lengths.Length;

    /// <summary>idf(t) of a term (0 for a term absent from the pool).</summary>
    public double InverseDocumentFrequency(string term)
    {
        int df = _postings.TryGetValue(term, out var list) ? list.Count : 0;
        return df == 0 ? 0 : Math.Log(1 + (Count - df + 0.5) / (df + 0.5));
    }

    /// <summary>BM25 score of every pool example that shares a term with <paramref name="query"/>.</summary>
    public IReadOnlyList<RetrievedExample> Score(string query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var scores = new SortedDictionary<int, double>();
        foreach (string term in WordTokenizer.Tokenize(query).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            if (!_postings.TryGetValue(term, out var list)) continue;
            double idf = InverseDocumentFrequency(term);
            foreach (var (document, count) in list)
            {
                double norm = K1 * (1 - B + B * _lengths[document] / _averageLength);
                scores[document] = scores.GetValueOrDefault(document) + idf * count * (K1 + 1) / (count + norm);
            }
        }
        return [.. scores.Select(p => new RetrievedExample(p.Key, p.Value))];
    }

    public ValueTask<IReadOnlyList<RetrievedExample>> RetrieveAsync(string query, int k, CancellationToken cancellation = default) =>
        ValueTask.FromResult(Ranking.Top(Score(query), k));
}
