using FedLlm.Synthesis.Parsing;

namespace FedLlm.Synthesis.FedGc;

/// <summary>One of a client's real examples with its category (FedGC's class), the guidance and the counts it budgets by.</summary>
public sealed record LabelledPair(InstructionPair Pair, string Category);
