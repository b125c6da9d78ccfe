namespace FedLlm.Synthesis.Retrieval;

/// <summary>Top-k selection shared by the retrievers: score descending, ties to the lower pool index.</summary>
internal static class Ranking
{
    public static IReadOnlyList<RetrievedExample> Top(IEnumerable<RetrievedExample> scored, int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        return [.. scored.OrderByDescending(r => r.Score).ThenBy(r => r.Index).Take(k)];
    }
}
