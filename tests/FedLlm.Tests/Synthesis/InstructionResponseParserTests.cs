using FedLlm.Synthesis.Parsing;

namespace FedLlm.Tests.Synthesis;

public class InstructionResponseParserTests
{
    [Theory]
    [InlineData("##instruction: What lowers a fever?\n##output: Rest and fluids.")]
    [InlineData("### Instruction:\nWhat lowers a fever?\n\n### Response:\nRest and fluids.\n")]
    [InlineData("Instruction: What lowers a fever?\nResponse: Rest and fluids.")]
    [InlineData("**Question:** What lowers a fever?\n**Answer:** Rest and fluids.")]
    [InlineData("Sure! Here is a pair:\n\n##Instruction: What lowers a fever?\n##Output: Rest and fluids.\n\n###example:\n##instruction: another one")]
    [InlineData("```\n### Instruction: What lowers a fever?\n### Response: Rest and fluids.\n```\nHope this helps")]
    [InlineData("{\"instruction\": \"What lowers a fever?\", \"response\": \"Rest and fluids.\"}")]
    [InlineData("```json\n{\"Instruction\": \"What lowers a fever?\",\n \"output\": \"Rest and fluids.\"}\n```\nLet me know!")]
    [InlineData("Here you go: {\"note\": \"{braces} inside\"} {\"instruction\": \"What lowers a fever?\", \"answer\": \"Rest and fluids.\"} trailing")]
    [InlineData("##instruction: What lowers a fever?\n##output: Rest and fluids.</s>##instruction: junk")]
    [InlineData("##instruction: What lowers a fever?\n##output: Rest and fluids.<|eot_id|>")]
    public void ReadsEveryLayout(string generation)
    {
        ParseOutcome outcome = InstructionResponseParser.Parse(generation);
        Assert.True(outcome.Succeeded, outcome.Reason);
        Assert.Equal(new InstructionPair("What lowers a fever?", "Rest and fluids."), outcome.Pair);
    }

    [Fact]
    public void AlpacaInputJoinsTheInstruction()
    {
        Assert.Equal("Summarise the text.\n\nFever is common.",
            InstructionResponseParser.Parse("### Instruction: Summarise the text.\n### Input: Fever is common.\n### Response: It is common.").Pair!.Instruction);
        Assert.Equal("Summarise the text.\n\nFever is common.",
            InstructionResponseParser.Parse("{\"instruction\": \"Summarise the text.\", \"input\": \"Fever is common.\", \"output\": \"It is common.\"}").Pair!.Instruction);
    }

    [Fact]
    public void AMultiLineResponseIsKeptWhole()
    {
        var pair = InstructionResponseParser.Parse("##instruction: List two steps.\n##output: 1. Rest.\n2. Drink water.\n\nBoth help.").Pair!;
        Assert.Equal("1. Rest.\n2. Drink water.\n\nBoth help.", pair.Response);
    }

    [Theory]
    [InlineData(null, "empty generation")]
    [InlineData("   \n", "empty generation")]
    [InlineData("I cannot help with that.", "no instruction marker")]
    [InlineData("##instruction:\n##output: Rest.", "the instruction is empty (markers)")]
    [InlineData("##instruction: What lowers a fever?", "no response after the instruction (markers")]
    [InlineData("##instruction: What lowers a fever?\n##output:   ", "the response is empty (markers)")]
    [InlineData("{\"instruction\": \"What lowers a fever?\"}", "no response after the instruction (JSON object")]
    [InlineData("{\"instruction\": \"What lowers a fever?\", \"response\": \"\"}", "the response is empty (JSON object)")]
    [InlineData("{\"instruction\": \"What lowers a fever?\", \"response\": \"Rest", "no instruction marker")]
    [InlineData("{\"question\": 42, \"answer\": \"x\"}", "no instruction marker")]
    public void MalformedGenerationsGiveAReason(string? generation, string reason)
    {
        ParseOutcome outcome = InstructionResponseParser.Parse(generation);
        Assert.Null(outcome.Pair);
        Assert.Contains(reason, outcome.Reason);
    }

    [Fact]
    public void InstructionOnlyModeForKnowledgeSg()
    {
        // KnowledgeSG's DP model continues an open "###example:"; the output is cut at the next example.
        ParseOutcome outcome = InstructionResponseParser.Parse("\n\n##instruction: What causes anemia?\n\n###example:\n\n##instruction: Next", requireResponse: false);
        Assert.Equal(new InstructionPair("What causes anemia?", ""), outcome.Pair);
    }
}
