namespace FedLlm.Data.Formats;

/// <summary>GSM8K answers end with "#### final-answer" (openai/grade-school-math README).</summary>
public static class Gsm8kAnswer
{
    public const string Marker = "####";

    /// <summary>The text after the last "####", trimmed; null when there is no marker.</summary>
    public static string? ExtractFinal(string answer)
    {
        ArgumentNullException.ThrowIfNull(answer);
        int at = answer.LastIndexOf(Marker, StringComparison.Ordinal);
        if (at < 0) return null;
        string final = answer[(at + Marker.Length)..].Trim();
        return final.Length == 0 ? null : final;
    }
}
