namespace FedLlm.Evaluation.Suites;

/// <summary>
/// One example of a task, rendered from its record: what the model is asked and what it is scored against. Which parts
/// are set depends on the metric.
/// </summary>
/// <param name="Id">The record's object key (e.g. a PubMedQA id) or its 1-based position in the file.</param>
/// <param name="Source">"file:line" or "file (record N)", for error messages.</param>
public sealed record EvalItem(string Id, string Source)
{
    public string? System { get; init; }
    public string? Prompt { get; init; }
    /// <summary>perplexity: the whole text scored.</summary>
    public string? Text { get; init; }
    /// <summary>The reference answer (exact match, ROUGE-L, a judge's reference) or the scored continuation (perplexity).</summary>
    public string? Target { get; init; }
    /// <summary>classification: the gold label.</summary>
    public string? Label { get; init; }
    /// <summary>multiple_choice and classification by log-likelihood: each option's continuation after the prompt.</summary>
    public IReadOnlyList<string> Continuations { get; init; } = [];
    /// <summary>multiple_choice: the index of the right option.</summary>
    public int? AnswerIndex { get; init; }
}
