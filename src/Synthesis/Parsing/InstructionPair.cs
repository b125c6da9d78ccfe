namespace FedLlm.Synthesis.Parsing;

/// <summary>An instruction and its response parsed from a generation; <see cref="Response"/> is empty in instruction-only mode.</summary>
public sealed record InstructionPair(string Instruction, string Response);

/// <summary>The parser's answer: a pair, or null with the reason it could not be read.</summary>
public sealed record ParseOutcome(InstructionPair? Pair, string? Reason)
{
    public bool Succeeded => Pair is not null;

    internal static ParseOutcome Fail(string reason) => new(null, reason);
}
