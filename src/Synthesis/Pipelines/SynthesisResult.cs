using FedLlm.Synthesis.Output;

namespace FedLlm.Synthesis.Pipelines;

/// <summary>The rows a pipeline kept, in a deterministic order, and what happened to the rest.</summary>
public sealed record SynthesisResult(IReadOnlyList<SyntheticExample> Rows, SynthesisTally Tally);
