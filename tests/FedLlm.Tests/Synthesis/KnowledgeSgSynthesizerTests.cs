using FedLlm.Synthesis.KnowledgeSg;
using FedLlm.Synthesis.Pipelines;

namespace FedLlm.Tests.Synthesis;

public class KnowledgeSgSynthesizerTests
{
    private static readonly string[] Seeds =
    [
        "Give three tips for staying healthy.",
        "What is the capital of France?",
        "Describe the water cycle in simple terms.",
        "Write a haiku about autumn leaves.",
    ];

    private static KnowledgeSgOptions Options(int prompts, bool grade = false) => new()
    {
        Prompts = prompts, Shots = 2, Grade = grade, GradeThreshold = 6,
        Sampling = new SamplingSettings { Temperature = 0.7, MaxNewTokens = 32 },
        AnswerSampling = new SamplingSettings { Temperature = 0, MaxNewTokens = 32 },
    };

    /// <summary>The DP model's continuations, one per prompt in turn (prompts are answered in order of their seeds here: by index).</summary>
    private static ScriptedGenerator DpModel(params string[] continuations)
    {
        int next = 0;
        return new ScriptedGenerator(_ => continuations[Interlocked.Increment(ref next) - 1]);
    }

    private static ScriptedGenerator Professional(Func<string, string>? grade = null) =>
        new(prompt => prompt.StartsWith("Rate the following instruction", StringComparison.Ordinal) ? grade?.Invoke(prompt) ?? "8" : "Answer: " + prompt.Trim());

    [Fact]
    public async Task PromptsShowOnlyPublicSeedsAndKeptInstructionsAreAnsweredByTheProfessional()
    {
        var dp = DpModel(
            "\n\n##instruction: What are early signs of type 2 diabetes?",  // kept
            " How is asthma treated in children?\n\n",                       // no marker: the continuation is the instruction
            "\n\n##instruction: What is the capital of France?",             // a seed: dropped
            "\n\n##instruction: Diabetes",                                   // one word: dropped
            "\n\n##instruction: What are early signs of type 2 diabetes?",   // repeats the first: dropped
            "");                                                             // nothing: unparsable
        var professional = Professional();
        var result = await new KnowledgeSgSynthesizer(dp, professional, Options(6)).RunAsync(Seeds, seed: 4);

        Assert.Equal(6, dp.Requests.Count);
        foreach (var (prompt, options) in dp.Requests)
        {
            var shots = prompt.Split("##instruction:").Skip(1).Select(s => s.Replace("###example:", "").Trim()).ToList();
            Assert.Equal(2, shots.Count);
            Assert.All(shots, s => Assert.Contains(s, Seeds));
            Assert.EndsWith("###example:", prompt.TrimEnd());
            Assert.Contains("###example", options!.StopSequences!);
        }
        Assert.Equal(
            [("What are early signs of type 2 diabetes?", "Answer: What are early signs of type 2 diabetes?"), ("How is asthma treated in children?", "Answer: How is asthma treated in children?")],
            result.Rows.Select(r => (r.Instruction, r.Response)));
        Assert.All(result.Rows, r => Assert.Equal(KnowledgeSgSynthesizer.Origin, r.Origin));
        Assert.Equal((1, 2, 1, 2), (result.Tally.Unparsable, result.Tally.Filtered, result.Tally.Duplicates, result.Tally.Kept));
        Assert.Contains(result.Tally.ReasonsFor(nameof(SynthesisTally.Filtered)), r => r.Contains("above 0.52", StringComparison.Ordinal));
    }

    [Fact]
    public async Task GradingKeepsInstructionsAtOrAboveTheThresholdAndDropsUngradable()
    {
        var dp = DpModel("##instruction: What causes migraines?", "##instruction: Tell me a joke about cats.", "##instruction: How do vaccines work?");
        var professional = Professional(prompt => prompt.Contains("migraines", StringComparison.Ordinal) ? "Score: 9" : prompt.Contains("cats", StringComparison.Ordinal) ? "3" : "I cannot say.");
        var result = await new KnowledgeSgSynthesizer(dp, professional, Options(3, grade: true)).RunAsync(Seeds, seed: 4);
        Assert.Equal("What causes migraines?", Assert.Single(result.Rows).Instruction);
        Assert.Equal(2, result.Tally.BelowGrade);
        Assert.Contains(professional.Prompts, p => p.Contains("medical assistant", StringComparison.Ordinal));
    }

    [Fact]
    public async Task WhenEveryInstructionIsFilteredTheErrorSaysWhy()
    {
        var dp = DpModel("##instruction: Give three tips for staying healthy.", "##instruction: Give three tips for staying healthy!");
        var error = await Assert.ThrowsAsync<SynthesisException>(() => new KnowledgeSgSynthesizer(dp, Professional(), Options(2)).RunAsync(Seeds, seed: 4));
        Assert.Contains("nothing usable", error.Message);
        Assert.Contains("above 0.52", error.Message);
    }

    [Theory]
    [InlineData("8", 8.0)]
    [InlineData("Score: 10/10", 10.0)]
    [InlineData("I would give it a 7.5.", 7.5)]
    [InlineData("12", null)]
    [InlineData("no grade", null)]
    public void GradesAreTheFirstNumberFromOneToTen(string answer, double? expected) =>
        Assert.Equal(expected, KnowledgeSgSynthesizer.ParseGrade(answer));
}
