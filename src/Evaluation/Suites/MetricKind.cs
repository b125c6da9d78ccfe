using FedLlm.Foundation.Configuration;

namespace FedLlm.Evaluation.Suites;

/// <summary>The metric of a task (<c>metric:</c>); each one's exact rule is in docs/evaluation.md.</summary>
public enum MetricKind
{
    Perplexity,
    ExactMatch,
    Classification,
    MultipleChoice,
    RougeL,
    RefusalRate,
    Judge,
}

public static class MetricKinds
{
    public static readonly NamedValues<MetricKind> Names = new(
        ("perplexity", MetricKind.Perplexity), ("loss", MetricKind.Perplexity),
        ("exact_match", MetricKind.ExactMatch),
        ("classification", MetricKind.Classification),
        ("multiple_choice", MetricKind.MultipleChoice),
        ("rouge_l", MetricKind.RougeL),
        ("refusal_rate", MetricKind.RefusalRate),
        ("judge", MetricKind.Judge));

    /// <summary>Whether the metric scores generated answers (rather than the model's likelihood of given text).</summary>
    public static bool Generates(this MetricKind kind, ClassificationMode mode) => kind switch
    {
        MetricKind.Perplexity or MetricKind.MultipleChoice => false,
        MetricKind.Classification => mode == ClassificationMode.Generate,
        _ => true,
    };
}

public enum ClassificationMode
{
    LogLikelihood,
    Generate,
}

public static class ClassificationModes
{
    public static readonly NamedValues<ClassificationMode> Names = new(
        ("loglikelihood", ClassificationMode.LogLikelihood), ("log_likelihood", ClassificationMode.LogLikelihood), ("generate", ClassificationMode.Generate));
}
