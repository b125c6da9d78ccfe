using FedLlm.Synthesis.Parsing;

namespace FedLlm.Synthesis.Pipelines;

/// <summary>Parsing a batch of generations, counting every failure in the tally.</summary>
internal static class Parsed
{
    /// <summary>The pair parsed from each generation, or null (counted as unparsable with its reason).</summary>
    public static InstructionPair?[] Pairs(IReadOnlyList<string> generations, SynthesisTally tally, bool requireResponse = true)
    {
        var pairs = new InstructionPair?[generations.Count];
        for (int i = 0; i < generations.Count; i++)
        {
            var outcome = InstructionResponseParser.Parse(generations[i], requireResponse);
            if (outcome.Pair is { } pair) pairs[i] = pair;
            else tally.DropUnparsable($"generation {i + 1}: {outcome.Reason}; it began '{Preview(generations[i])}'");
        }
        return pairs;
    }

    /// <summary>The error for a stage that kept nothing: the generator answered, but nothing usable.</summary>
    public static SynthesisException NothingKept(string stage, SynthesisTally tally)
    {
        string why = tally.ReasonsFor(nameof(SynthesisTally.Unparsable)).FirstOrDefault()
                     ?? tally.ReasonsFor(nameof(SynthesisTally.Filtered)).FirstOrDefault()
                     ?? tally.ReasonsFor(nameof(SynthesisTally.BelowGrade)).FirstOrDefault()
                     ?? "no reason recorded";
        return new SynthesisException($"{stage}: the generator returned nothing usable: {tally}; first: {why}");
    }

    /// <summary>The start of a generation on one line, for error messages.</summary>
    public static string Preview(string text, int length = 60)
    {
        string line = string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        return line.Length <= length ? line : line[..length] + "…";
    }
}
