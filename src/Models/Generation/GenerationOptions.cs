namespace FedLlm.Models.Generation;

/// <summary>How to continue a prompt. Temperature 0 means greedy decoding.</summary>
public sealed record GenerationOptions
{
    public int MaxNewTokens { get; init; } = 128;
    public double Temperature { get; init; }
    public double TopP { get; init; } = 1.0;
    public ulong Seed { get; init; }
    /// <summary>Generation stops once the decoded continuation contains any of these; the stop text is cut off.</summary>
    public IReadOnlyList<string> StopStrings { get; init; } = [];
    /// <summary>Also stop on the model's end-of-sequence ids.</summary>
    public bool StopAtEos { get; init; } = true;
    /// <summary>Extra token ids that end generation (llama2.c treats BOS as a story delimiter).</summary>
    public IReadOnlyList<int> ExtraStopTokenIds { get; init; } = [];
}

public enum StopReason { MaxNewTokens, EndOfSequence, StopString, ContextFull }

public sealed record GenerationResult(IReadOnlyList<int> TokenIds, string Text, StopReason StopReason);
