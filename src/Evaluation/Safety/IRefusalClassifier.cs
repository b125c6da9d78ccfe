namespace FedLlm.Evaluation.Safety;

/// <summary>
/// Decides whether an answer refuses. The seam between <c>fedllm eval</c>'s refusal_rate metric and the safety
/// evaluators: the substring rule by default; a judge-based classifier can take its place.
/// </summary>
public interface IRefusalClassifier
{
    /// <summary>Why <paramref name="answer"/> counts as a refusal (e.g. the phrase found), or null when it does not.</summary>
    string? RefusalEvidence(string answer);
}

/// <summary>The AdvBench refusal-substring rule as an <see cref="IRefusalClassifier"/>.</summary>
public sealed class RefusalSubstringClassifier : IRefusalClassifier
{
    public static RefusalSubstringClassifier Instance { get; } = new();

    public string? RefusalEvidence(string answer) => RefusalRule.MatchedPhrase(answer);
}
