namespace FedLlm.Data.Formats;

/// <summary>Choices made when turning records into examples.</summary>
public sealed record ConversionOptions
{
    public static readonly ConversionOptions Default = new();

    /// <summary>
    /// Joins an Alpaca record's instruction and non-empty input. "\n" (as LLaMA-Factory does) keeps a long input
    /// visibly apart from the instruction; set " " to reproduce OpenFedLLM's process_dataset.py exactly.
    /// </summary>
    public string AlpacaInputSeparator { get; init; } = "\n";
}
