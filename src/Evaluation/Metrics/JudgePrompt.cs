using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;

namespace FedLlm.Evaluation.Metrics;

/// <summary>
/// MT-Bench-style single-answer grading (Zheng et al. 2023): the judge sees the question, optionally a reference answer,
/// and the answer, explains briefly, and ends with a rating from 1 to 10 written as <c>[[rating]]</c>. The wording is
/// FedLlm's own; the protocol (one answer, 1–10 scale, optional reference, the [[x]] format) is MT-Bench's.
/// </summary>
public static partial class JudgePrompt
{
    public const double Lowest = 1;
    public const double Highest = 10;

    public static IReadOnlyList<ChatMessage> Messages(string question, string answer, string? reference)
    {
        string criteria = "helpfulness, relevance, accuracy, depth and level of detail" +
                          (reference is null ? "" : ", comparing it with the reference answer, which is correct");
        string text = $"""
            Grade the assistant's answer to the question below on {criteria}. First explain your judgement in a few sentences, as objectively as you can. Then give a rating from 1 (worst) to 10 (best) written exactly as [[rating]], for example: Rating: [[6]]

            [Question]
            {question}

            """;
        if (reference is not null) text += $"[Reference answer]\n{reference}\n\n";
        text += $"[Assistant's answer]\n{answer}\n";
        return [new ChatMessage(ChatRole.System, "You are a fair, careful judge of AI assistants' answers."), new ChatMessage(ChatRole.User, text)];
    }

    /// <summary>The first <c>[[x]]</c> rating in a judgment, when it is a number from 1 to 10; otherwise null (unparsed).</summary>
    public static double? ParseRating(string judgment)
    {
        var match = Rating().Match(judgment);
        if (!match.Success) return null;
        double value = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        return value is >= Lowest and <= Highest ? value : null;
    }

    [GeneratedRegex(@"\[\[\s*(\d+(?:\.\d+)?)\s*\]\]")]
    private static partial Regex Rating();
}
