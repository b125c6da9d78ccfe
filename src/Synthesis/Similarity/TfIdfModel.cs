using FedLlm.Synthesis.Text;

namespace FedLlm.Synthesis.Similarity;

/// <summary>
/// TF-IDF vectors as scikit-learn's TfidfVectorizer builds them with its defaults, which KnowledgeSG's filter uses:
/// tokens from <see cref="WordTokenizer"/>, raw term counts as tf, smoothed idf(t) = ln((1 + n)/(1 + df(t))) + 1 over
/// the n documents it was fitted on, then each vector L2-normalised, so the cosine of two documents is their dot
/// product. Terms never seen in fitting are ignored, as sklearn's transform does.
/// </summary>
public sealed class TfIdfModel
{
    private readonly Dictionary<string, int> _termIds;
    private readonly double[] _idf;

    private TfIdfModel(Dictionary<string, int> termIds, double[] idf)
    {
        _termIds = termIds;
        _idf = idf;
    }

    public int DocumentCount { get; private init; }

    public int VocabularySize => _idf.Length;

    public static TfIdfModel Fit(IEnumerable<string> documents)
    {
        ArgumentNullException.ThrowIfNull(documents);
        var documentFrequency = new Dictionary<string, int>(StringComparer.Ordinal);
        int count = 0;
        foreach (string document in documents)
        {
            count++;
            foreach (string term in WordTokenizer.CountTerms(document).Keys)
            {
                documentFrequency[term] = documentFrequency.GetValueOrDefault(term) + 1;
            }
        }
        // Ids in ordinal term order: the same vocabulary numbers the same way whatever the document order.
        string[] terms = [.. documentFrequency.Keys.Order(StringComparer.Ordinal)];
        var ids = new Dictionary<string, int>(terms.Length, StringComparer.Ordinal);
        var idf = new double[terms.Length];
        for (int id = 0; id < terms.Length; id++)
        {
            ids[terms[id]] = id;
            idf[id] = Math.Log((1.0 + count) / (1.0 + documentFrequency[terms[id]])) + 1.0;
        }
        return new TfIdfModel(ids, idf) { DocumentCount = count };
    }

    /// <summary>The L2-normalised tf·idf vector; empty when no term of the text is in the vocabulary.</summary>
    public SparseVector Transform(string text)
    {
        var weights = new SortedDictionary<int, double>();
        foreach (var (term, count) in WordTokenizer.CountTerms(text))
        {
            if (_termIds.TryGetValue(term, out int id)) weights[id] = count * _idf[id];
        }
        double norm = Math.Sqrt(weights.Values.Sum(w => w * w));
        int[] termIds = [.. weights.Keys];
        double[] values = [.. weights.Values.Select(w => w / norm)];
        return new SparseVector(termIds, norm == 0 ? new double[termIds.Length] : values);
    }

    /// <summary>Cosine similarity of two texts under this model (0 when either has no known term).</summary>
    public double Cosine(string a, string b) => Transform(a).Dot(Transform(b));
}
