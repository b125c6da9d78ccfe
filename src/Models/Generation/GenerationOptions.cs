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
}

public enum StopReason { MaxNewTokens, EndOfSequence, StopString, ContextFull, Cancelled }

public sealed record GenerationResult(IReadOnlyList<int> TokenIds, string Text, StopReason StopReason);

/// <summary>One prompt to continue, with the adapter to use and where its text goes while it is generated.</summary>
public sealed record GenerationJob
{
    /// <summary>The prompt as token ids, BOS included if the model wants one.</summary>
    public required IReadOnlyList<int> PromptIds { get; init; }
    public GenerationOptions Options { get; init; } = new();
    /// <summary>The engine's adapter index (0: the model as loaded).</summary>
    public int Adapter { get; init; }
    /// <summary>Receives decoded text as soon as it is complete and cannot be the start of a stop string.</summary>
    public Action<string>? OnText { get; init; }
    /// <summary>Ends the job early (its result then says <see cref="StopReason.Cancelled"/>).</summary>
    public CancellationToken Cancellation { get; init; }
}
