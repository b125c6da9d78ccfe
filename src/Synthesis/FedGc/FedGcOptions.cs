using FedLlm.Foundation.Configuration;
using FedLlm.Synthesis.Budget;
using FedLlm.Synthesis.Pipelines;
using FedLlm.Synthesis.Similarity;

namespace FedLlm.Synthesis.FedGc;

/// <summary>FedGC's prompt-design axis: one template, several rotated, or prompts the generator writes itself.</summary>
public enum FedGcPromptDesign
{
    Single,
    Several,
    Generated,
}

/// <summary>FedGC's guidance axis: the category prompt only, k of the client's real examples only, or both (FedGC's best).</summary>
public enum FedGcGuidance
{
    Prompt,
    Examples,
    Both,
}

/// <summary>
/// FedGC's client-side generation (Ye et al., arXiv 2312.05807; the full text is not available, so the axes follow the
/// abstract and reviews and the values are ours). Defaults are the paper's reported best recipe: an equal budget per
/// client, several prompt templates, and guidance by prompt plus real private examples. The <c>fedgc:</c> section of a
/// run config reads these keys.
/// </summary>
public record FedGcOptions
{
    public static readonly NamedValues<FedGcPromptDesign> Designs = new(("single", FedGcPromptDesign.Single), ("several", FedGcPromptDesign.Several), ("generated", FedGcPromptDesign.Generated));
    public static readonly NamedValues<FedGcGuidance> Guidances = new(("prompt", FedGcGuidance.Prompt), ("examples", FedGcGuidance.Examples), ("both", FedGcGuidance.Both));

    /// <summary>Rows each client generates (the same for every client: FedGC found an equal amount works well).</summary>
    public int Budget { get; init; } = 32;

    /// <summary>Instead of <see cref="Budget"/>: generated rows per real row of the client (its budget grows with its data).</summary>
    public double? MixRatio { get; init; }

    /// <summary>How a client's budget is split over the categories: equal, inverse_frequency or fill_to_balance.</summary>
    public string Allocation { get; init; } = BudgetPolicy.Equal;

    /// <summary>Comma-separated category names (the public label set); none: the categories of the client's own records.</summary>
    public string? Categories { get; init; }

    /// <summary>single, several or generated.</summary>
    public string PromptDesign { get; init; } = "several";

    /// <summary>Comma-separated templates with <c>{{category}}</c> and <c>{{examples}}</c>; single uses the first, several rotates them.</summary>
    public string Templates { get; init; } = "fedgc,fedgc-varied";

    /// <summary>Generated design: the template asking the generator to write a prompt for <c>{{category}}</c>.</summary>
    public string WriterPrompt { get; init; } = "fedgc-writer";

    /// <summary>Generated design: prompts written per category, used in turn.</summary>
    public int WrittenPrompts { get; init; } = 3;

    /// <summary>Generated design: how a written prompt is sent, with <c>{{prompt}}</c> and <c>{{examples}}</c>.</summary>
    public string WrittenPromptWrapper { get; init; } = "fedgc-generated";

    /// <summary>Examples-only guidance: the template with just <c>{{examples}}</c>.</summary>
    public string ExamplesPrompt { get; init; } = "fedgc-examples";

    /// <summary>How one real example is shown, with <c>{{instruction}}</c> and <c>{{response}}</c>.</summary>
    public string ExamplePrompt { get; init; } = "example";

    /// <summary>prompt, examples or both.</summary>
    public string Guidance { get; init; } = "both";

    /// <summary>Real examples of the category shown per prompt (examples and both guidance).</summary>
    public int K { get; init; } = 3;

    /// <summary>A generated row is dropped when its instruction's TF-IDF cosine to a kept one, or to one of the client's real instructions, is above this.</summary>
    public double DuplicateThreshold { get; init; } = SeedSimilarityFilter.KnowledgeSgThreshold;

    public SamplingSettings Sampling { get; init; } = new();

    public FedGcPromptDesign PromptDesignKind => Designs.Parse(PromptDesign, "fedgc.prompt_design");

    public FedGcGuidance GuidanceKind => Guidances.Parse(Guidance, "fedgc.guidance");

    public IReadOnlyList<string> TemplateNames => Split(Templates);

    public IReadOnlyList<string> CategoryNames => Split(Categories);

    public IReadOnlyList<string> ValidateOptions(string prefix)
    {
        var problems = new List<string>();
        if (Budget < 0) problems.Add($"{prefix}budget must be >= 0, got {Budget}");
        if (MixRatio is double ratio && !(ratio >= 0 && double.IsFinite(ratio))) problems.Add($"{prefix}mix_ratio must be a finite number >= 0, got {SamplingSettings.F(ratio)}");
        try { BudgetPolicy.Parse(Allocation, prefix + "allocation"); }
        catch (ArgumentException e) { problems.Add(e.Message); }
        if (Designs.Problem(PromptDesign, prefix + "prompt_design") is { } design) problems.Add(design);
        if (Guidances.Problem(Guidance, prefix + "guidance") is { } guidance) problems.Add(guidance);
        if (K < 1) problems.Add($"{prefix}k must be at least 1, got {K}");
        if (WrittenPrompts < 1) problems.Add($"{prefix}written_prompts must be at least 1, got {WrittenPrompts}");
        if (!(DuplicateThreshold is >= 0 and <= 1)) problems.Add($"{prefix}duplicate_threshold must be in [0, 1], got {SamplingSettings.F(DuplicateThreshold)}");
        if (TemplateNames.Count == 0) problems.Add($"{prefix}templates must name at least one template");
        problems.AddRange(Pipelines.Templates.Problems(prefix, [
            .. TemplateNames.Select(t => (nameof(Templates), t, new[] { "category", "examples" })),
            (nameof(WriterPrompt), WriterPrompt, ["category"]),
            (nameof(WrittenPromptWrapper), WrittenPromptWrapper, ["prompt", "examples"]),
            (nameof(ExamplesPrompt), ExamplesPrompt, ["examples"]),
            (nameof(ExamplePrompt), ExamplePrompt, ["instruction", "response"]),
        ]));
        problems.AddRange(Sampling.Validate(prefix + "sampling."));
        return problems;
    }

    private static string[] Split(string? list) =>
        list is null ? [] : [.. list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
}
