using System.Text.RegularExpressions;

namespace FedLlm.Evaluation.Metrics;

/// <summary>
/// ROUGE-L F-measure (Lin 2004, §3.1, β = 1) as Google's rouge-score package computes it by default: both texts are
/// lower-cased, every run of characters other than a–z and 0–9 becomes a separator, no stemming; R = LCS/|reference|,
/// P = LCS/|prediction|, F = 2PR/(P+R), 0 when either text has no tokens.
/// </summary>
public static partial class RougeL
{
    public static double FMeasure(string prediction, string reference)
    {
        var p = Tokens(prediction);
        var r = Tokens(reference);
        if (p.Length == 0 || r.Length == 0) return 0;
        int lcs = LongestCommonSubsequence(p, r);
        if (lcs == 0) return 0;
        double precision = (double)lcs / p.Length, recall = (double)lcs / r.Length;
        return 2 * precision * recall / (precision + recall);
    }

    public static string[] Tokens(string text) =>
        NonAlphanumeric().Replace(text.ToLowerInvariant(), " ").Split(' ', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>Length of the longest common subsequence, in O(|a|·|b|) time and O(|b|) memory.</summary>
    public static int LongestCommonSubsequence(IReadOnlyList<string> a, IReadOnlyList<string> b)
    {
        var previous = new int[b.Count + 1];
        var current = new int[b.Count + 1];
        for (int i = 1; i <= a.Count; i++)
        {
            for (int j = 1; j <= b.Count; j++)
                current[j] = a[i - 1] == b[j - 1] ? previous[j - 1] + 1 : Math.Max(previous[j], current[j - 1]);
            (previous, current) = (current, previous);
        }
        return previous[b.Count];
    }

    [GeneratedRegex("[^a-z0-9]+")]
    private static partial Regex NonAlphanumeric();
}
