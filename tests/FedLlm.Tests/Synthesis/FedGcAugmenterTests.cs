using System.Text.RegularExpressions;
using FedLlm.Synthesis.Budget;
using FedLlm.Synthesis.FedGc;
using FedLlm.Synthesis.Parsing;
using FedLlm.Synthesis.Pipelines;

namespace FedLlm.Tests.Synthesis;

public partial class FedGcAugmenterTests
{
    /// <summary>A skewed client: six "yes" records, one "no", no "maybe".</summary>
    private static readonly LabelledPair[] Client =
    [
        .. Enumerable.Range(0, 6).Select(i => new LabelledPair(new InstructionPair($"Does treatment {i} reduce mortality in adults?", "yes"), "yes")),
        new LabelledPair(new InstructionPair("Is vitamin C useful against the common cold?", "no"), "no"),
    ];

    [GeneratedRegex("\"(yes|no|maybe)\"")]
    private static partial Regex Category();

    /// <summary>Answers with a new question for the category the prompt names, numbered so no two are alike.</summary>
    private static ScriptedGenerator Generator()
    {
        int count = 0;
        return new ScriptedGenerator(prompt =>
        {
            string category = Category().Match(prompt).Groups[1].Value;
            int n = Interlocked.Increment(ref count);
            return $"##instruction: Question {n} {new string((char)('a' + n % 26), n + 1)} about {category}\n##output: {category}";
        });
    }

    private static FedGcOptions Options(string allocation, string guidance = "both") => new()
    {
        Budget = 9, Allocation = allocation, Categories = "yes,no,maybe", Guidance = guidance, K = 3,
        Sampling = new SamplingSettings { Temperature = 0.7, MaxNewTokens = 32 },
    };

    [Fact]
    public async Task TheBudgetIsSplitByThePolicyAndGuidanceShowsOnlyTheCategorysOwnRealExamples()
    {
        var generator = Generator();
        var result = await new FedGcAugmenter(generator, Options(BudgetPolicy.FillToBalance)).AugmentAsync(Client, "client-0", seed: 1, [0]);

        int[] expected = BudgetAllocator.FillToBalance(9, [6, 1, 0]);
        var byCategory = generator.Prompts.GroupBy(p => Category().Match(p).Groups[1].Value).ToDictionary(g => g.Key, g => g.ToList());
        Assert.Equal(expected[0], byCategory.GetValueOrDefault("yes")?.Count ?? 0);
        Assert.Equal(expected[1], byCategory["no"].Count);
        Assert.Equal(expected[2], byCategory["maybe"].Count);
        Assert.All(byCategory["no"], p =>
        {
            Assert.Contains("Is vitamin C useful against the common cold?", p);
            Assert.DoesNotContain("treatment", p);
        });
        Assert.All(byCategory["maybe"], p => Assert.DoesNotContain("###example:", p));

        Assert.Equal(9, result.Rows.Count);
        Assert.All(result.Rows, r =>
        {
            Assert.Equal(FedGcAugmenter.Origin, r.Origin);
            Assert.Equal(r.Response, r.Category);
            Assert.StartsWith("fedgc:client-0#", r.Source);
        });
    }

    [Fact]
    public async Task SeveralTemplatesAreUsedInTurnAndASingleTemplateAlone()
    {
        var several = Generator();
        await new FedGcAugmenter(several, Options(BudgetPolicy.Equal)).AugmentAsync(Client, "c", seed: 1, [0]);
        Assert.Contains(several.Prompts, p => p.Contains("practice material", StringComparison.Ordinal));
        Assert.Contains(several.Prompts, p => p.StartsWith("Write ONE new example", StringComparison.Ordinal));

        var single = Generator();
        await new FedGcAugmenter(single, Options(BudgetPolicy.Equal) with { PromptDesign = "single" }).AugmentAsync(Client, "c", seed: 1, [0]);
        Assert.All(single.Prompts, p => Assert.StartsWith("Write ONE new example", p));
    }

    [Fact]
    public async Task ExamplesOnlyGuidanceWritesOnlyForCategoriesTheClientHas()
    {
        var generator = new ScriptedGenerator(prompt =>
            "##instruction: Another question " + prompt.Length + "\n##output: " + (prompt.Contains("vitamin", StringComparison.Ordinal) ? "no" : "yes"));
        var result = await new FedGcAugmenter(generator, Options(BudgetPolicy.Equal, guidance: "examples")).AugmentAsync(Client, "c", seed: 1, [0]);
        Assert.Equal(9, generator.Requests.Count);
        Assert.DoesNotContain(result.Rows, r => r.Category == "maybe");
        Assert.All(generator.Prompts, p => Assert.EndsWith("###example:", p.TrimEnd()));
    }

    [Fact]
    public async Task GeneratedRowsThatCopyARealInstructionOrEachOtherAreDropped()
    {
        var generator = new ScriptedGenerator(prompt => Category().Match(prompt).Groups[1].Value == "no"
            ? "##instruction: Is vitamin C useful against the common cold?\n##output: no"
            : "##instruction: Is coffee linked to longer life?\n##output: maybe");
        var result = await new FedGcAugmenter(generator, Options(BudgetPolicy.Equal)).AugmentAsync(Client, "c", seed: 1, [0]);
        Assert.Equal(3, result.Tally.Filtered);
        Assert.Equal(5, result.Tally.Duplicates);
        Assert.Single(result.Rows);
    }

    [Fact]
    public async Task TheGeneratedDesignAsksForPromptsFirstAndSendsWhatTheGeneratorWrote()
    {
        int count = 0;
        var generator = new ScriptedGenerator(prompt => prompt.Contains("invent a new training example", StringComparison.Ordinal)
            ? $"Ask a hard medical question whose answer is \"{Category().Match(prompt).Groups[1].Value}\"."
            : $"##instruction: Question number {Interlocked.Increment(ref count) * 1000} please\n##output: {Category().Match(prompt).Groups[1].Value}");
        var options = Options(BudgetPolicy.Equal) with { PromptDesign = "generated", WrittenPrompts = 2 };
        var result = await new FedGcAugmenter(generator, options).AugmentAsync(Client, "c", seed: 1, [0]);
        Assert.Equal(6, generator.Prompts.Count(p => p.Contains("invent a new training example", StringComparison.Ordinal)));
        Assert.Equal(9, generator.Prompts.Count(p => p.StartsWith("Ask a hard medical question", StringComparison.Ordinal)));
        Assert.NotEmpty(result.Rows);
    }

    [Fact]
    public void AMixRatioSetsTheBudgetFromTheClientsRealRows()
    {
        var augmenter = new FedGcAugmenter(Generator(), new FedGcOptions { MixRatio = 0.5, Budget = 100 });
        Assert.Equal(4, augmenter.BudgetFor(7));
        Assert.Equal(32, new FedGcAugmenter(Generator(), new FedGcOptions()).BudgetFor(7));
    }

    [Fact]
    public void OptionsNameEachBadKey()
    {
        var problems = new FedGcOptions { Budget = -1, Allocation = "random", PromptDesign = "many", Guidance = "none", K = 0, Templates = "no-such-template" }
            .ValidateOptions("fedgc.");
        foreach (string key in new[] { "fedgc.budget", "fedgc.allocation", "fedgc.prompt_design", "fedgc.guidance", "fedgc.k", "fedgc.templates" })
            Assert.Contains(problems, p => p.StartsWith(key, StringComparison.Ordinal));
    }
}
