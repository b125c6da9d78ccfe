using FedLlm.Synthesis.Inputs;
using FedLlm.Synthesis.Parsing;
using FedLlm.Synthesis.Pipelines;
using FedLlm.Synthesis.U2s;

namespace FedLlm.Tests.Synthesis;

public class U2sSynthesizerTests
{
    private static readonly InstructionPair[] Pool =
    [
        new("How do volcanoes erupt?", "Magma rises through the crust and escapes at a vent."),
        new("What is photosynthesis?", "Plants turn light, water and carbon dioxide into sugar."),
        new("Name a prime number.", "Seven."),
    ];

    private static readonly SourceText[] Corpus =
    [
        new("Photosynthesis lets plants store light as sugar in their leaves.\nVolcanoes erupt when magma rises through the crust.", "notes.txt:1"),
        new("A prime number has exactly two divisors.", "notes.txt:2"),
    ];

    /// <summary>Chunks are single lines here: at most 12 words each.</summary>
    private static U2sOptions Options(int k = 1) => new() { K = k, ChunkTokens = 12, Sampling = new SamplingSettings { Temperature = 0.7, MaxNewTokens = 32 } };

    private static string Passage(string prompt) => prompt[(prompt.LastIndexOf("###passage:", StringComparison.Ordinal) + 11)..].Trim();

    [Fact]
    public async Task EachChunkIsShownWithItsMostRelatedPoolExampleAndEveryRowNamesItsChunk()
    {
        var generator = new ScriptedGenerator(prompt => $"##instruction: What does this say: {Passage(prompt)}\n##output: {Passage(prompt)}");
        var result = await new U2sSynthesizer(generator, Options(), U2sSynthesizer.CountWords).RunAsync(Corpus, Pool, seed: 3);

        var prompts = generator.Prompts.ToDictionary(Passage);
        Assert.Equal(3, prompts.Count);
        Assert.Contains("What is photosynthesis?", prompts["Photosynthesis lets plants store light as sugar in their leaves."]);
        Assert.DoesNotContain("volcanoes", prompts["Photosynthesis lets plants store light as sugar in their leaves."], StringComparison.OrdinalIgnoreCase);
        Assert.Contains("How do volcanoes erupt?", prompts["Volcanoes erupt when magma rises through the crust."]);
        Assert.Contains("Name a prime number.", prompts["A prime number has exactly two divisors."]);

        Assert.Equal(["notes.txt:1#0", "notes.txt:1#1", "notes.txt:2#0"], result.Rows.Select(r => r.Source));
        Assert.All(result.Rows, r => Assert.Equal(U2sSynthesizer.Origin, r.Origin));
        Assert.Equal("Volcanoes erupt when magma rises through the crust.", result.Rows[1].Response);
        Assert.Equal(3, result.Tally.Kept);
    }

    [Fact]
    public async Task UnparsablePairsAndNearDuplicatesAreDroppedAndCounted()
    {
        var generator = new ScriptedGenerator(prompt => Passage(prompt) switch
        {
            var p when p.StartsWith("Photosynthesis", StringComparison.Ordinal) => "Once upon a time there was a leaf.",
            _ => "##instruction: Explain the main point of the passage.\n##output: It explains a fact.",
        });
        var result = await new U2sSynthesizer(generator, Options(), U2sSynthesizer.CountWords).RunAsync(Corpus, Pool, seed: 3);

        Assert.Equal(3, result.Tally.Prompts);
        Assert.Equal(1, result.Tally.Unparsable);
        Assert.Equal(1, result.Tally.Duplicates);
        var kept = Assert.Single(result.Rows);
        Assert.Equal("notes.txt:1#1", kept.Source);
        Assert.Contains("no instruction marker", result.Tally.ReasonsFor(nameof(SynthesisTally.Unparsable))[0]);
    }

    [Fact]
    public async Task AGeneratorThatWritesNothingParseableIsOneClearError()
    {
        var generator = new ScriptedGenerator(_ => "Once upon a time, there was a little girl named Lily.");
        var error = await Assert.ThrowsAsync<SynthesisException>(() =>
            new U2sSynthesizer(generator, Options(), U2sSynthesizer.CountWords).RunAsync(Corpus, Pool, seed: 3));
        Assert.Contains("nothing usable", error.Message);
        Assert.Contains("3 unparsable", error.Message);
        Assert.Contains("Once upon a time", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public async Task AnEmptyCorpusIsAnError()
    {
        var generator = new ScriptedGenerator(_ => "");
        var error = await Assert.ThrowsAsync<SynthesisException>(() =>
            new U2sSynthesizer(generator, Options(), U2sSynthesizer.CountWords).RunAsync([new SourceText("  \n ", "empty.txt:1")], Pool, seed: 3));
        Assert.Contains("corpus is empty", error.Message);
        Assert.Empty(generator.Requests);
    }

    [Fact]
    public async Task EveryPromptHasItsOwnSeedAndARerunAsksTheSameRequests()
    {
        static async Task<List<(string, long?)>> Requests(ulong seed, long client)
        {
            var generator = new ScriptedGenerator(prompt => $"##instruction: About {Passage(prompt)}\n##output: Yes.");
            await new U2sSynthesizer(generator, Options(k: 2), U2sSynthesizer.CountWords).RunAsync(Corpus, Pool, seed, [client]);
            return [.. generator.Requests.Select(r => (r.Prompt, r.Options!.Seed)).OrderBy(r => r.Prompt, StringComparer.Ordinal)];
        }

        var first = await Requests(seed: 3, client: 0);
        Assert.Equal(first, await Requests(seed: 3, client: 0));
        Assert.Equal(3, first.Select(r => r.Item2).Distinct().Count());
        Assert.NotEqual(first.Select(r => r.Item2), (await Requests(seed: 3, client: 1)).Select(r => r.Item2));
    }

    [Fact]
    public async Task MaxChunksKeepsASeededSampleInCorpusOrder()
    {
        var generator = new ScriptedGenerator(prompt => $"##instruction: What about {Passage(prompt)}\n##output: Yes.");
        var options = Options() with { MaxChunks = 2 };
        var once = await new U2sSynthesizer(generator, options, U2sSynthesizer.CountWords).RunAsync(Corpus, Pool, seed: 3);
        var again = await new U2sSynthesizer(generator, options, U2sSynthesizer.CountWords).RunAsync(Corpus, Pool, seed: 3);
        Assert.Equal(2, once.Rows.Count);
        Assert.Equal(once.Rows.Select(r => r.Source), again.Rows.Select(r => r.Source));
        Assert.Equal(once.Rows.Select(r => r.Source).Order(StringComparer.Ordinal), once.Rows.Select(r => r.Source));
    }
}
