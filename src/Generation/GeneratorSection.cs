using System.Globalization;
using FedLlm.Data.Templates;
using FedLlm.Generation.Local;
using FedLlm.Models;

namespace FedLlm.Generation;

/// <summary>
/// "A generator" as a config section any run config can embed (YAML keys are the snake_case property names): either the
/// in-process model (<see cref="ModelPath"/>, optionally an adapter) or an OpenAI-compatible endpoint
/// (<see cref="Endpoint"/> and <see cref="Model"/>). <see cref="Generators.Create"/> turns it into an IChatClient.
/// </summary>
public sealed record GeneratorSection
{
    /// <summary>In-process: a Hugging Face model folder.</summary>
    public string? ModelPath { get; init; }
    /// <summary>In-process: a PEFT LoRA adapter folder applied to the model.</summary>
    public string? AdapterPath { get; init; }
    /// <summary>In-process: base weights in memory, float32 or bfloat16.</summary>
    public string Dtype { get; init; } = "float32";
    /// <summary>In-process: chat template name, or auto (the model's own when recognised, else alpaca).</summary>
    public string Template { get; init; } = ModelTemplates.Auto;
    /// <summary>In-process: sequences decoded together.</summary>
    public int MaxBatch { get; init; } = 8;

    /// <summary>Endpoint: the OpenAI-compatible base URL, e.g. http://127.0.0.1:8000/v1.</summary>
    public string? Endpoint { get; init; }
    /// <summary>Endpoint: the model name the endpoint serves.</summary>
    public string? Model { get; init; }
    /// <summary>Endpoint: the name of the environment variable holding the API key (never the key itself).</summary>
    public string? ApiKeyEnv { get; init; }
    /// <summary>Endpoint: requests in flight at once.</summary>
    public int MaxConcurrency { get; init; } = 4;
    /// <summary>Endpoint: seconds one attempt may take.</summary>
    public double TimeoutSeconds { get; init; } = 120;
    /// <summary>Endpoint: retries after a 408/429/5xx answer or a network failure.</summary>
    public int MaxRetries { get; init; } = 4;
    /// <summary>Endpoint: the first retry's delay in seconds; each later one doubles it (with jitter), unless the server says Retry-After.</summary>
    public double RetryDelaySeconds { get; init; } = 1;
    /// <summary>
    /// Endpoint: a model folder holding the served model's tokenizer, so text meant to fit its context (U2S chunks) is
    /// measured in its tokens; without it, an endpoint's text is measured in words, which can overflow a small context.
    /// </summary>
    public string? TokenizerPath { get; init; }

    /// <summary>Both: a folder of cached responses; a repeated request is answered from it without generating.</summary>
    public string? CacheDir { get; init; }

    public bool IsEndpoint => Endpoint is not null;

    /// <summary>Every problem of the section on its own, each naming its key under <paramref name="prefix"/> (e.g. "judge.").</summary>
    public IReadOnlyList<string> Validate(string prefix = "generator.")
    {
        var problems = new List<string>();
        if ((ModelPath is null) == (Endpoint is null)) problems.Add($"{prefix}: give either {prefix}model_path (in-process) or {prefix}endpoint (OpenAI-compatible), not both or neither");
        if (Endpoint is not null)
        {
            if (!Uri.TryCreate(Endpoint, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                problems.Add($"{prefix}endpoint must be an http(s) URL, got '{Endpoint}'");
            if (string.IsNullOrWhiteSpace(Model)) problems.Add($"{prefix}model is required with {prefix}endpoint (the model name the endpoint serves)");
            if (AdapterPath is not null) problems.Add($"{prefix}adapter_path applies to an in-process model; an endpoint selects adapters by {prefix}model");
            if (MaxConcurrency < 1) problems.Add($"{prefix}max_concurrency must be at least 1, got {MaxConcurrency}");
            if (!(TimeoutSeconds > 0)) problems.Add($"{prefix}timeout_seconds must be positive, got {TimeoutSeconds.ToString(CultureInfo.InvariantCulture)}");
            if (MaxRetries < 0) problems.Add($"{prefix}max_retries must be >= 0, got {MaxRetries}");
            if (!(RetryDelaySeconds >= 0)) problems.Add($"{prefix}retry_delay_seconds must be >= 0, got {RetryDelaySeconds.ToString(CultureInfo.InvariantCulture)}");
        }
        else if (TokenizerPath is not null)
        {
            problems.Add($"{prefix}tokenizer_path applies to an endpoint; an in-process model counts with its own tokenizer");
        }
        if (ModelPath is not null)
        {
            if (MaxBatch < 1) problems.Add($"{prefix}max_batch must be at least 1, got {MaxBatch}");
            if (!WeightDtypes.Names.TryParse(Dtype, out _)) problems.Add($"{prefix}dtype '{Dtype}' is unknown (valid: {string.Join(", ", WeightDtypes.Names.Names)})");
            if (!Template.Equals(ModelTemplates.Auto, StringComparison.OrdinalIgnoreCase))
            {
                try { TemplateRegistry.Get(Template, endOfTurn: "</s>"); }
                catch (ArgumentException e) { problems.Add($"{prefix}template: {e.Message}"); }
            }
        }
        return problems;
    }
}
