using FedLlm.Synthesis.Pipelines;
using FedLlm.Synthesis.Similarity;

namespace FedLlm.Synthesis.KnowledgeSg;

/// <summary>
/// KnowledgeSG's server stage (Wang et al., EMNLP 2024, arXiv 2410.05725; values from its code where known): k = 3
/// public seed shots per prompt, temperature 0.7, the TF-IDF filter at 0.52 against the seeds and the length filter;
/// the grading prompt and threshold are ours (the paper's are not published), and grading is off unless asked for.
/// </summary>
public record KnowledgeSgOptions
{
    /// <summary>Instruction-generation prompts sent to the DP model (the seed code's "round"; its default is 100).</summary>
    public int Prompts { get; init; } = 100;

    /// <summary>Public seed instructions shown per prompt.</summary>
    public int Shots { get; init; } = 3;

    /// <summary>The k-shot template, with <c>{{examples}}</c>, ending in an open <c>###example:</c>.</summary>
    public string Prompt { get; init; } = "knowledgesg";

    /// <summary>How one seed shot is shown, with <c>{{instruction}}</c>.</summary>
    public string ExamplePrompt { get; init; } = "knowledgesg-example";

    /// <summary>An instruction is dropped when its TF-IDF cosine to any seed is above this.</summary>
    public double SeedThreshold { get; init; } = SeedSimilarityFilter.KnowledgeSgThreshold;

    /// <summary>An instruction is dropped below this many words (KnowledgeSG drops length ≤ 1).</summary>
    public int MinWords { get; init; } = 2;

    /// <summary>How the DP model samples instructions.</summary>
    public SamplingSettings Sampling { get; init; } = new() { MaxNewTokens = 128 };

    /// <summary>Let the professional model grade each instruction and keep those at or above <see cref="GradeThreshold"/>.</summary>
    public bool Grade { get; init; }

    /// <summary>The grading template, with <c>{{domain}}</c> and <c>{{instruction}}</c>; ours, not the paper's.</summary>
    public string GradingPrompt { get; init; } = "knowledgesg-grading";

    /// <summary>Lowest grade kept (1–10); ours, not the paper's.</summary>
    public double GradeThreshold { get; init; } = 6;

    /// <summary>The domain the grader judges relevance to.</summary>
    public string Domain { get; init; } = "medical";

    /// <summary>How the professional model is asked to answer, with <c>{{instruction}}</c> (its native prompt in the paper).</summary>
    public string AnswerPrompt { get; init; } = "knowledgesg-answer";

    /// <summary>How the professional model samples answers (greedy by default, so the distilled answers are its best).</summary>
    public SamplingSettings AnswerSampling { get; init; } = new() { Temperature = 0 };

    public IReadOnlyList<string> ValidateOptions(string prefix)
    {
        var problems = new List<string>();
        if (Prompts < 1) problems.Add($"{prefix}prompts must be at least 1, got {Prompts}");
        if (Shots < 1) problems.Add($"{prefix}shots must be at least 1, got {Shots}");
        if (!(SeedThreshold is >= 0 and <= 1)) problems.Add($"{prefix}seed_threshold must be in [0, 1], got {SamplingSettings.F(SeedThreshold)}");
        if (MinWords < 0) problems.Add($"{prefix}min_words must be >= 0, got {MinWords}");
        if (!(GradeThreshold is >= 1 and <= 10)) problems.Add($"{prefix}grade_threshold must be in [1, 10], got {SamplingSettings.F(GradeThreshold)}");
        if (string.IsNullOrWhiteSpace(Domain)) problems.Add($"{prefix}domain must not be empty");
        problems.AddRange(Templates.Problems(prefix,
            (nameof(Prompt), Prompt, ["examples"]),
            (nameof(ExamplePrompt), ExamplePrompt, ["instruction"]),
            (nameof(GradingPrompt), GradingPrompt, ["domain", "instruction"]),
            (nameof(AnswerPrompt), AnswerPrompt, ["instruction"])));
        problems.AddRange(Sampling.Validate(prefix + "sampling."));
        problems.AddRange(AnswerSampling.Validate(prefix + "answer_sampling."));
        return problems;
    }
}
