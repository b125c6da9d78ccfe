using FedLlm.Synthesis.Text;

namespace FedLlm.Synthesis.Similarity;

/// <summary>
/// KnowledgeSG's filter of generated instructions (Wang et al., EMNLP 2024, arXiv 2410.05725; threshold from its
/// code): drop a candidate whose TF-IDF cosine to any seed example is above 0.52 (a copy of a seed teaches nothing new
/// and may leak it), or whose length is at most one word. TF-IDF is fitted on seeds and candidates together, as one
/// vectorizer over both.
/// </summary>
public sealed class SeedSimilarityFilter
{
    public const double KnowledgeSgThreshold = 0.52;

    public SeedSimilarityFilter(double threshold = KnowledgeSgThreshold, int minWords = 2)
    {
        if (!(threshold >= 0 && threshold <= 1)) throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "A cosine threshold must be in [0, 1].");
        ArgumentOutOfRangeException.ThrowIfNegative(minWords);
        Threshold = threshold;
        MinWords = minWords;
    }

    /// <summary>Dropped when the cosine is strictly above it.</summary>
    public double Threshold { get; }

    /// <summary>Dropped below this many whitespace-separated words (2: KnowledgeSG drops length ≤ 1).</summary>
    public int MinWords { get; }

    public IReadOnlyList<SimilarityVerdict> Filter(IReadOnlyList<string> seeds, IReadOnlyList<string> candidates)
    {
        ArgumentNullException.ThrowIfNull(seeds);
        ArgumentNullException.ThrowIfNull(candidates);
        TfIdfModel model = TfIdfModel.Fit(seeds.Concat(candidates));
        var index = new SimilarityIndex();
        foreach (string seed in seeds) index.Add(model.Transform(seed));
        var verdicts = new List<SimilarityVerdict>(candidates.Count);
        for (int i = 0; i < candidates.Count; i++)
        {
            var (similarity, seed) = index.MostSimilar(model.Transform(candidates[i]));
            int words = candidates[i].Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;
            string? reason = words < MinWords
                ? $"{words} word(s), fewer than {MinWords}"
                : similarity > Threshold ? $"TF-IDF cosine {similarity:F3} to seed {seed} is above {Threshold}" : null;
            verdicts.Add(new SimilarityVerdict(i, reason is null, similarity, seed, reason));
        }
        return verdicts;
    }
}
