using System.Globalization;

namespace FedLlm.Synthesis.Pipelines;

/// <summary>
/// How a pipeline samples from its generator (a config section: <c>sampling:</c> inside <c>u2s</c>, <c>fedgc</c>, …).
/// Each prompt gets its own seed derived from the run seed, so a re-run asks exactly the same requests: the generator
/// repeats them, and a response cache answers them without generating.
/// </summary>
public sealed record SamplingSettings
{
    /// <summary>0 = greedy. KnowledgeSG's instruction generation uses 0.7 (its vLLM setting).</summary>
    public double Temperature { get; init; } = 0.7;

    public double TopP { get; init; } = 1.0;

    /// <summary>Tokens generated per prompt at most; the prompt plus these must fit the generator's context.</summary>
    public int MaxNewTokens { get; init; } = 256;

    public IReadOnlyList<string> Validate(string prefix)
    {
        var problems = new List<string>();
        if (!(Temperature is >= 0 and <= 2)) problems.Add($"{prefix}temperature must be in [0, 2], got {F(Temperature)}");
        if (!(TopP is > 0 and <= 1)) problems.Add($"{prefix}top_p must be in (0, 1], got {F(TopP)}");
        if (MaxNewTokens < 1) problems.Add($"{prefix}max_new_tokens must be at least 1, got {MaxNewTokens}");
        return problems;
    }

    internal static string F(double value) => value.ToString(CultureInfo.InvariantCulture);
}
