namespace FedLlm.Synthesis.Output;

/// <summary>
/// One generated training row. <see cref="Source"/> says what it was made from (a chunk "file#3", a seed, a client);
/// <see cref="Origin"/> marks the rows as generated (so metrics can tell them from real ones) and names the pipeline;
/// it is null only for real rows written in the same layout (an experiment reformatting its source data).
/// </summary>
public sealed record SyntheticExample(string Instruction, string Response, string? Origin, string? Source = null)
{
    /// <summary>Class or topic (FedGC), written as <c>category</c>, which FedLlm's readers take as metadata.</summary>
    public string? Category { get; init; }

    /// <summary>Client that generated it, written as <c>client_id</c> (the readers' natural-split key).</summary>
    public string? ClientId { get; init; }
}
