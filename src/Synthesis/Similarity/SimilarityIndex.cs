namespace FedLlm.Synthesis.Similarity;

/// <summary>
/// Normalised sparse vectors with an inverted index, for "most similar stored vector" queries that touch only the
/// stored vectors sharing a term with the query (near-linear for short texts, instead of all pairs).
/// </summary>
public sealed class SimilarityIndex
{
    private readonly Dictionary<int, List<(int Entry, double Value)>> _postings = [];

    public int Count { get; private set; }

    /// <summary>Stores <paramref name="vector"/> and returns its entry number (0, 1, …).</summary>
    public int Add(SparseVector vector)
    {
        ArgumentNullException.ThrowIfNull(vector);
        int entry = Count++;
        for (int i = 0; i < vector.Ids.Length; i++)
        {
            if (!_postings.TryGetValue(vector.Ids[i], out var list)) _postings[vector.Ids[i]] = list = [];
            list.Add((entry, vector.Values[i]));
        }
        return entry;
    }

    /// <summary>The highest dot product with a stored vector and that entry (the lowest on ties); (0, −1) when nothing shares a term.</summary>
    public (double Similarity, int Entry) MostSimilar(SparseVector query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var dots = new Dictionary<int, double>();
        for (int i = 0; i < query.Ids.Length; i++)
        {
            if (!_postings.TryGetValue(query.Ids[i], out var list)) continue;
            foreach (var (entry, value) in list) dots[entry] = dots.GetValueOrDefault(entry) + query.Values[i] * value;
        }
        double best = 0;
        int bestEntry = -1;
        foreach (var (entry, dot) in dots)
        {
            if (dot > best || (dot == best && bestEntry >= 0 && entry < bestEntry)) (best, bestEntry) = (dot, entry);
        }
        return (best, bestEntry);
    }
}
