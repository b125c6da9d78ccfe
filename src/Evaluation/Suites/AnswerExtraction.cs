using System.Globalization;
using System.Text.RegularExpressions;
using FedLlm.Data.Formats;
using FedLlm.Evaluation.Accuracy;
using FedLlm.Foundation.Configuration;

namespace FedLlm.Evaluation.Suites;

/// <summary>How exact_match takes the answer out of a text (the same rule for the prediction and the reference).</summary>
public enum AnswerRule
{
    /// <summary>The whole text, normalised (<see cref="ExactMatch.Normalise"/>).</summary>
    Text,
    /// <summary>The number after the last "####" (GSM8K's answer format); no marker, no answer.</summary>
    Gsm8k,
    /// <summary>The last number anywhere in the text.</summary>
    LastNumber,
}

/// <summary>Answer extraction for exact match. Numbers are compared canonically: "1,000", "$1000" and "1000.00" are all 1000.</summary>
public static partial class AnswerExtraction
{
    public static readonly NamedValues<AnswerRule> Names = new(
        ("text", AnswerRule.Text), ("gsm8k", AnswerRule.Gsm8k), ("last_number", AnswerRule.LastNumber));

    /// <summary>The answer in <paramref name="text"/> under <paramref name="rule"/>, or null when there is none.</summary>
    public static string? Extract(string text, AnswerRule rule) => rule switch
    {
        AnswerRule.Text => ExactMatch.Normalise(text),
        AnswerRule.Gsm8k => Gsm8kAnswer.ExtractFinal(text) is { } final ? FirstNumber(final) : null,
        AnswerRule.LastNumber => Numbers().Matches(text) is { Count: > 0 } all ? Canonical(all[^1].Value) : null,
        _ => throw new ArgumentOutOfRangeException(nameof(rule), rule, null),
    };

    /// <summary>The first number of the text after GSM8K's marker (the marker's line may go on after it).</summary>
    private static string? FirstNumber(string final) => Numbers().Match(final) is { Success: true } m ? Canonical(m.Value) : null;

    /// <summary>A number without thousands separators, currency, a trailing point or trailing zeros after the point.</summary>
    public static string Canonical(string number)
    {
        string digits = number.Replace(",", "", StringComparison.Ordinal).Replace("$", "", StringComparison.Ordinal).TrimEnd('.');
        if (decimal.TryParse(digits, NumberStyles.Float, CultureInfo.InvariantCulture, out decimal value))
            return value.ToString("0.############################", CultureInfo.InvariantCulture);
        return digits;
    }

    // A sign, digits with optional thousands commas, optional decimals: "-1,234.50", "$7", "42".
    [GeneratedRegex(@"-?\$?\d[\d,]*(?:\.\d+)?")]
    private static partial Regex Numbers();
}
