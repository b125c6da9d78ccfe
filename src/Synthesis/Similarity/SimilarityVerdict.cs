namespace FedLlm.Synthesis.Similarity;

/// <summary>
/// What a filter decided about candidate <see cref="Index"/>: kept or not, its highest cosine to the reference set and
/// which reference that was (−1 when none shares a term), and why it was dropped.
/// </summary>
public sealed record SimilarityVerdict(int Index, bool Kept, double MaxSimilarity, int MostSimilar, string? Reason);
