namespace FedLlm.Synthesis.Similarity;

/// <summary>
/// Near-duplicate removal among generated texts, with the same measure and threshold as KnowledgeSG's seed filter
/// (TF-IDF cosine above 0.52, the rule issue 16 asks for FedIT-U2S): texts are taken in order and one is dropped when
/// it is that close to a text already kept, so the first of a group survives. TF-IDF is fitted on all the texts.
/// </summary>
public sealed class NearDuplicateFilter
{
    public NearDuplicateFilter(double threshold = SeedSimilarityFilter.KnowledgeSgThreshold)
    {
        if (!(threshold >= 0 && threshold <= 1)) throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "A cosine threshold must be in [0, 1].");
        Threshold = threshold;
    }

    public double Threshold { get; }

    /// <summary>One verdict per text; <see cref="SimilarityVerdict.MostSimilar"/> is the index of the kept text it is closest to.</summary>
    public IReadOnlyList<SimilarityVerdict> Filter(IReadOnlyList<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        TfIdfModel model = TfIdfModel.Fit(texts);
        var index = new SimilarityIndex();
        var keptIndices = new List<int>();
        var verdicts = new List<SimilarityVerdict>(texts.Count);
        for (int i = 0; i < texts.Count; i++)
        {
            SparseVector vector = model.Transform(texts[i]);
            var (similarity, entry) = index.MostSimilar(vector);
            int closest = entry < 0 ? -1 : keptIndices[entry];
            bool duplicate = similarity > Threshold;
            if (!duplicate)
            {
                index.Add(vector);
                keptIndices.Add(i);
            }
            verdicts.Add(new SimilarityVerdict(i, !duplicate, similarity, closest,
                duplicate ? $"TF-IDF cosine {similarity:F3} to text {closest} is above {Threshold}" : null));
        }
        return verdicts;
    }
}
