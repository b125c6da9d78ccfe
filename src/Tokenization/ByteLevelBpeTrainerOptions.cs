namespace FedLlm.Tokenization;

/// <summary>Options of <see cref="ByteLevelBpeTrainer"/>. Token names must be among the special tokens passed to it.</summary>
public sealed record ByteLevelBpeTrainerOptions
{
    /// <summary>A pair must occur at least this often (counting word frequencies) to be merged.</summary>
    public int MinFrequency { get; init; } = 2;

    /// <summary>BOS token; with <see cref="AddBos"/> the tokenizer.json gets a TemplateProcessing that prepends it.</summary>
    public string? BosToken { get; init; }

    public bool AddBos { get; init; } = true;
}
