namespace FedLlm.Tokenization;

/// <summary>Pre-tokenizer choices of a byte-level BPE tokenizer.json that this implementation supports.</summary>
public abstract record PreTokenizerSpec
{
    private PreTokenizerSpec() { }

    /// <summary>ByteLevel: optional prefix space; with use_regex, splits by the GPT-2 pattern.</summary>
    public sealed record ByteLevel(bool AddPrefixSpace, bool UseRegex) : PreTokenizerSpec;

    /// <summary>Split with a regex (or a literal string, escaped) and behavior Isolated or Removed; invert false.</summary>
    public sealed record Split(string Pattern, bool IsRegex, bool RemoveMatches) : PreTokenizerSpec;

    /// <summary>Digits: isolates digits, one by one when <paramref name="IndividualDigits"/>.</summary>
    public sealed record Digits(bool IndividualDigits) : PreTokenizerSpec;
}

/// <summary>
/// Everything a byte-level BPE tokenizer needs from tokenizer.json (+ tokenizer_config.json / config.json),
/// independent of the JSON so the trainer and tests can build one directly.
/// </summary>
public sealed record ByteLevelBpeDefinition
{
    /// <summary>Byte-level token string (e.g. "Ġthe") → id.</summary>
    public required IReadOnlyDictionary<string, int> Vocab { get; init; }

    /// <summary>Merges in priority order (rank = index).</summary>
    public required IReadOnlyList<(string Left, string Right)> Merges { get; init; }

    public IReadOnlyList<AddedToken> AddedTokens { get; init; } = [];

    /// <summary>Pre-tokenizer stages applied in order (a single ByteLevel for GPT-2; Split then ByteLevel for Llama-3/Qwen2).</summary>
    public IReadOnlyList<PreTokenizerSpec> PreTokenizers { get; init; } = [new PreTokenizerSpec.ByteLevel(AddPrefixSpace: false, UseRegex: true)];

    /// <summary>Normalizer NFC (Qwen2). Note: with InvariantGlobalization .NET cannot normalise, so text is used as given.</summary>
    public bool NormalizeNfc { get; init; }

    /// <summary>ignore_merges (Llama-3): a pre-token that is itself in the vocabulary becomes one token without merging.</summary>
    public bool IgnoreMerges { get; init; }

    public string? UnkToken { get; init; }

    public string? BosToken { get; init; }
    public string? EosToken { get; init; }
    public string? PadToken { get; init; }
    public bool AddBosByDefault { get; init; }

    /// <summary>Where the definition came from, for error messages.</summary>
    public string Source { get; init; } = "byte-level BPE definition";
}
