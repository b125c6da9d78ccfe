using FedLlm.Foundation.Configuration;
using FedLlm.Synthesis.Pipelines;
using FedLlm.Synthesis.Similarity;

namespace FedLlm.Synthesis.U2s;

/// <summary>How FedIT-U2S finds the pool examples shown with a chunk.</summary>
public enum RetrievalKind
{
    /// <summary>Okapi BM25 over the pool's words (always available).</summary>
    Bm25,
    /// <summary>Cosine between embeddings, where the generator provides them (the research notes' suggested default).</summary>
    Embedding,
}

/// <summary>
/// FedIT-U2S's settings (arXiv 2409.07136; its k, prompt and filter are not public, so these defaults are ours, as the
/// research notes suggest): k = 3 related pool examples per chunk, chunks of at most 256 generator tokens, one
/// instruction/response pair per chunk, near-duplicates (TF-IDF cosine &gt; 0.52 between instructions) dropped. The
/// <c>u2s:</c> section of a run config and <c>fedllm synthesize u2s</c> read the same keys.
/// </summary>
public record U2sOptions
{
    public static readonly NamedValues<RetrievalKind> Retrievals = new(("bm25", RetrievalKind.Bm25), ("embedding", RetrievalKind.Embedding));

    /// <summary>Pool examples shown with each chunk.</summary>
    public int K { get; init; } = 3;

    /// <summary>bm25, or embedding (the in-process generator's mean-pooled hidden states).</summary>
    public string Retrieval { get; init; } = "bm25";

    /// <summary>Bound of a chunk in the generator's tokens (words when the generator is an endpoint).</summary>
    public int ChunkTokens { get; init; } = 256;

    /// <summary>At most this many chunks per corpus, a seeded sample kept in corpus order; none = every chunk.</summary>
    public int? MaxChunks { get; init; }

    /// <summary>A pair is dropped when its instruction's TF-IDF cosine to an earlier kept one is above this.</summary>
    public double DuplicateThreshold { get; init; } = SeedSimilarityFilter.KnowledgeSgThreshold;

    /// <summary>The prompt template (a built-in name or a file) with <c>{{examples}}</c> and <c>{{chunk}}</c>.</summary>
    public string Prompt { get; init; } = "u2s";

    /// <summary>How one pool example is shown, with <c>{{instruction}}</c> and <c>{{response}}</c>.</summary>
    public string ExamplePrompt { get; init; } = "example";

    public SamplingSettings Sampling { get; init; } = new();

    public RetrievalKind RetrievalKind => Retrievals.Parse(Retrieval, "u2s.retrieval");

    /// <summary>Every problem of these keys on their own, each named under <paramref name="prefix"/>.</summary>
    public IReadOnlyList<string> ValidateOptions(string prefix)
    {
        var problems = new List<string>();
        if (K < 1) problems.Add($"{prefix}k must be at least 1, got {K}");
        if (Retrievals.Problem(Retrieval, prefix + "retrieval") is { } retrieval) problems.Add(retrieval);
        if (ChunkTokens < 8) problems.Add($"{prefix}chunk_tokens must be at least 8, got {ChunkTokens}");
        if (MaxChunks is < 1) problems.Add($"{prefix}max_chunks must be positive, got {MaxChunks}");
        if (!(DuplicateThreshold is >= 0 and <= 1)) problems.Add($"{prefix}duplicate_threshold must be in [0, 1], got {SamplingSettings.F(DuplicateThreshold)}");
        problems.AddRange(Templates.Problems(prefix, (nameof(Prompt), Prompt, ["examples", "chunk"]), (nameof(ExamplePrompt), ExamplePrompt, ["instruction", "response"])));
        problems.AddRange(Sampling.Validate(prefix + "sampling."));
        return problems;
    }
}
