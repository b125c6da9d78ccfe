using FedLlm.Generation;

namespace FedLlm.Evaluation.Suites;

/// <summary>
/// An evaluation suite (<c>fedllm eval --suite FILE</c>; YAML keys are the snake_case property names): tasks, each a
/// dataset, a prompt template and one metric, run on a base model and any number of adapters. Every rule a metric
/// applies is in docs/evaluation.md.
/// </summary>
public sealed record EvalSuite
{
    public string Name { get; init; } = "eval";
    /// <summary>Chat template the prompts are rendered with: a named template, or auto (the model's own, else alpaca).</summary>
    public string Template { get; init; } = "auto";
    /// <summary>Seeds sampling (when a task's temperature is above 0) and the bootstrap.</summary>
    public ulong Seed { get; init; } = 1234;
    /// <summary>Bootstrap resamples behind each confidence interval.</summary>
    public int BootstrapSamples { get; init; } = 1000;
    /// <summary>Coverage of the percentile-bootstrap intervals.</summary>
    public double Confidence { get; init; } = 0.95;
    /// <summary>Sequences decoded or scored together.</summary>
    public int MaxBatch { get; init; } = 8;
    /// <summary>The judge of <c>judge</c> tasks: any generator (an endpoint such as GPT-4 or <c>fedllm serve</c>, or a local model); set its cache_dir to keep judgments.</summary>
    public GeneratorSection? Judge { get; init; }
    public List<EvalTask> Tasks { get; init; } = [];

    /// <summary>The suite with every relative file path taken from <paramref name="directory"/> (the suite file's folder).</summary>
    public EvalSuite ResolvePaths(string directory) => this with
    {
        Tasks = [.. Tasks.Select(t => t with { Data = Resolve(directory, t.Data), KeysFrom = t.KeysFrom is null ? null : Resolve(directory, t.KeysFrom) })],
        Judge = Judge is null ? null : Judge with
        {
            ModelPath = Judge.ModelPath is null ? null : Resolve(directory, Judge.ModelPath),
            AdapterPath = Judge.AdapterPath is null ? null : Resolve(directory, Judge.AdapterPath),
            CacheDir = Judge.CacheDir is null ? null : Resolve(directory, Judge.CacheDir),
        },
    };

    private static string Resolve(string directory, string path) => Path.IsPathRooted(path) ? path : Path.GetFullPath(Path.Combine(directory, path));
}

/// <summary>One task of a suite: where its examples come from, how each becomes a prompt, and how the answer is scored.</summary>
public sealed record EvalTask
{
    public string Name { get; init; } = "";
    /// <summary>perplexity, exact_match, classification, multiple_choice, rouge_l, refusal_rate or judge.</summary>
    public string Metric { get; init; } = "";
    /// <summary>The dataset file (any format FedLlm reads: JSON, JSONL, CSV, Parquet, text).</summary>
    public string Data { get; init; } = "";
    /// <summary>Only the first N records (after <see cref="KeysFrom"/>).</summary>
    public int? Limit { get; init; }
    /// <summary>Keep only records whose object key is a key of this JSON object file (e.g. PubMedQA's test_ground_truth.json).</summary>
    public string? KeysFrom { get; init; }

    /// <summary>System prompt template (optional).</summary>
    public string? System { get; init; }
    /// <summary>User prompt template: <c>{field}</c> is the record's field (arrays joined by newlines), <c>{field:lettered}</c> lists an array as "A. …".</summary>
    public string? Prompt { get; init; }
    /// <summary>perplexity: a whole text to score (instead of prompt + target).</summary>
    public string? Text { get; init; }
    /// <summary>The reference: the answer exact_match and rouge_l compare with, the continuation perplexity scores after the prompt, the reference a judge sees.</summary>
    public string? Target { get; init; }

    /// <summary>exact_match: how the answer is taken from the text, gsm8k (after the last ####), last_number or text.</summary>
    public string Extract { get; init; } = "text";

    /// <summary>classification: the record field holding the gold label.</summary>
    public string? Label { get; init; }
    /// <summary>classification: the label set, in the order the generation mapping tries them.</summary>
    public List<string> Labels { get; init; } = [];
    /// <summary>classification: record values that stand for a label (e.g. "0": negative); other values must be labels themselves.</summary>
    public Dictionary<string, string> LabelValues { get; init; } = [];
    /// <summary>classification by generation: substrings that map an answer to each label (default: the label itself), case-sensitive.</summary>
    public Dictionary<string, List<string>> LabelMatch { get; init; } = [];
    /// <summary>classification by generation: the label of an answer no substring matches (none: such an answer is unmapped and wrong).</summary>
    public string? DefaultLabel { get; init; }
    /// <summary>classification: loglikelihood (the label whose continuation is likeliest) or generate (generate, then map).</summary>
    public string Mode { get; init; } = "loglikelihood";
    /// <summary>classification by log-likelihood: each label's continuation; <c>{label}</c> is the label.</summary>
    public string LabelText { get; init; } = " {label}";

    /// <summary>multiple_choice: the field holding the options (an array).</summary>
    public string? Choices { get; init; }
    /// <summary>multiple_choice: the field holding the answer: a 0-based index, a letter (A, B, …) or the option's text.</summary>
    public string? Answer { get; init; }
    /// <summary>multiple_choice: each option's continuation; <c>{choice}</c> is its text, <c>{letter}</c> its letter.</summary>
    public string ChoiceText { get; init; } = " {choice}";

    /// <summary>Generation: most new tokens per answer.</summary>
    public int MaxNewTokens { get; init; } = 64;
    /// <summary>Generation: 0 is greedy; above 0 samples with the suite's seed.</summary>
    public double Temperature { get; init; }
    public double TopP { get; init; } = 1;
    /// <summary>judge: most tokens of one judgment.</summary>
    public int JudgeMaxTokens { get; init; } = 512;
}
