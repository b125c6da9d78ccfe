using System.Text.RegularExpressions;

namespace FedLlm.Synthesis.Text;

/// <summary>
/// The document tokenisation of TF-IDF and BM25 here: lower-case (invariant culture), then every run of two or more
/// word characters, <c>\b\w\w+\b</c> — scikit-learn's TfidfVectorizer defaults (lowercase=True,
/// token_pattern=r"(?u)\b\w\w+\b"), which KnowledgeSG's similarity filter uses. Single characters and punctuation
/// are not terms.
/// </summary>
public static partial class WordTokenizer
{
    [GeneratedRegex(@"\b\w\w+\b", RegexOptions.CultureInvariant)]
    private static partial Regex Word();

    public static IReadOnlyList<string> Tokenize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string lower = text.ToLowerInvariant();
        var tokens = new List<string>();
        foreach (ValueMatch match in Word().EnumerateMatches(lower))
        {
            tokens.Add(lower.Substring(match.Index, match.Length));
        }
        return tokens;
    }

    /// <summary>Term → count in <paramref name="text"/>.</summary>
    public static Dictionary<string, int> CountTerms(string text)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (string token in Tokenize(text))
        {
            counts[token] = counts.GetValueOrDefault(token) + 1;
        }
        return counts;
    }
}
