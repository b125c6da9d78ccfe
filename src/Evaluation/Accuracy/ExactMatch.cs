using System.Text.RegularExpressions;

namespace FedLlm.Evaluation.Accuracy;

/// <summary>Answer comparison after the usual normalisation: case, surrounding whitespace and punctuation, inner runs of spaces.</summary>
public static partial class ExactMatch
{
    public static bool Matches(string prediction, string reference) => Normalise(prediction) == Normalise(reference);

    public static string Normalise(string text)
    {
        string collapsed = Whitespace().Replace(text.Trim(), " ");
        return collapsed.Trim(' ', '.', '!', '?', ',', ';', ':', '"', '\'').ToLowerInvariant();
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
