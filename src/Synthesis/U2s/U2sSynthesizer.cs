using FedLlm.Foundation.Randomness;
using FedLlm.Synthesis.Inputs;
using FedLlm.Synthesis.Output;
using FedLlm.Synthesis.Parsing;
using FedLlm.Synthesis.Pipelines;
using FedLlm.Synthesis.Prompts;
using FedLlm.Synthesis.Retrieval;
using FedLlm.Synthesis.Similarity;
using FedLlm.Synthesis.Text;
using Microsoft.Extensions.AI;

namespace FedLlm.Synthesis.U2s;

/// <summary>
/// FedIT-U2S (Ye et al., arXiv 2409.07136): turns a client's unstructured text into instruction data. The text is cut
/// into chunks; each chunk is shown with the k pool examples most related to it and the generator writes one
/// instruction/response pair grounded in it; pairs that cannot be parsed, and near-duplicates of an earlier pair, are
/// dropped; every row names the chunk it came from (<c>file:line#chunk</c>). The text never leaves the client: the
/// generator is the model the server sent, run where the data is.
/// </summary>
public sealed class U2sSynthesizer(IChatClient generator, U2sOptions options, Func<string, int> countTokens, ITextEmbedder? embedder = null)
{
    public const string Origin = "u2s";

    /// <param name="seed">The run seed: chunk sampling, fill-in examples and sampling seeds derive from it.</param>
    /// <param name="coordinates">Seed coordinates of the caller (e.g. the client id), so clients sample differently.</param>
    public async Task<SynthesisResult> RunAsync(IReadOnlyList<SourceText> corpus, IReadOnlyList<InstructionPair> pool, ulong seed,
        long[]? coordinates = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        ArgumentNullException.ThrowIfNull(pool);
        coordinates ??= [];
        if (pool.Count == 0) throw new SynthesisException("u2s: the example pool is empty");
        var prompt = PromptTemplate.Load(options.Prompt);
        prompt.Require("examples", "chunk");
        var example = PromptTemplate.Load(options.ExamplePrompt);
        example.Require("instruction", "response");

        var chunks = Chunks(corpus, seed, coordinates);
        if (chunks.Count == 0) throw new SynthesisException("u2s: the corpus is empty: no text to write instructions from");
        var retriever = await RetrieverAsync(pool, cancellation).ConfigureAwait(false);
        var prompts = new List<string>(chunks.Count);
        for (int c = 0; c < chunks.Count; c++)
        {
            var shown = await ExamplesForAsync(retriever, chunks[c].Text, pool.Count, seed, [.. coordinates, c], cancellation).ConfigureAwait(false);
            string examples = Templates.Examples(example, shown.Select(i => (pool[i].Instruction, pool[i].Response)));
            prompts.Add(prompt.Render(new Dictionary<string, string> { ["examples"] = examples, ["chunk"] = chunks[c].Text }));
        }

        var generations = await GenerationBatch.GenerateAsync(generator, prompts, options.Sampling, seed, Origin, coordinates: coordinates,
            cancellation: cancellation).ConfigureAwait(false);
        var tally = new SynthesisTally { Prompts = prompts.Count };
        var pairs = Parsed.Pairs(generations, tally);
        var parsed = Enumerable.Range(0, chunks.Count).Where(c => pairs[c] is not null).ToList();
        var verdicts = new NearDuplicateFilter(options.DuplicateThreshold).Filter([.. parsed.Select(c => pairs[c]!.Instruction)]);
        var rows = new List<SyntheticExample>();
        foreach (var verdict in verdicts)
        {
            int c = parsed[verdict.Index];
            if (!verdict.Kept)
            {
                tally.DropDuplicate($"{chunks[c].Source}: {verdict.Reason}");
                continue;
            }
            rows.Add(new SyntheticExample(pairs[c]!.Instruction, pairs[c]!.Response, Origin, chunks[c].Source));
        }
        tally.Kept = rows.Count;
        if (rows.Count == 0) throw Parsed.NothingKept(Origin, tally);
        return new SynthesisResult(rows, tally);
    }

    /// <summary>Every chunk of every document, or a seeded sample of <see cref="U2sOptions.MaxChunks"/> of them kept in corpus order.</summary>
    private List<SourceText> Chunks(IReadOnlyList<SourceText> corpus, ulong seed, long[] coordinates)
    {
        var chunker = new TextChunker(countTokens, options.ChunkTokens);
        var chunks = new List<SourceText>();
        foreach (var document in corpus)
            foreach (var chunk in chunker.Chunk(document.Text))
                if (!string.IsNullOrWhiteSpace(chunk.Text)) chunks.Add(new SourceText(chunk.Text, $"{document.Source}#{chunk.Index}"));
        if (options.MaxChunks is not int max || chunks.Count <= max) return chunks;
        int[] order = [.. Enumerable.Range(0, chunks.Count)];
        Xoshiro256StarStar.ForPurpose(seed, "u2s-chunks", coordinates).Shuffle(order.AsSpan());
        return [.. order.Take(max).Order().Select(i => chunks[i])];
    }

    private async Task<IExampleRetriever> RetrieverAsync(IReadOnlyList<InstructionPair> pool, CancellationToken cancellation)
    {
        string[] texts = [.. pool.Select(p => p.Instruction + "\n" + p.Response)];
        if (options.RetrievalKind == RetrievalKind.Bm25) return new Bm25Retriever(texts);
        var source = embedder ?? throw new SynthesisException("u2s.retrieval embedding needs a generator that provides embeddings (the in-process model); use bm25 with an endpoint");
        return await EmbeddingRetriever.CreateAsync(source, texts, cancellation).ConfigureAwait(false);
    }

    /// <summary>
    /// The k most related pool examples, best first; when fewer relate at all (BM25 skips examples sharing no word), seeded
    /// random others fill the k places, so every prompt shows the reply format as often.
    /// </summary>
    private async Task<IReadOnlyList<int>> ExamplesForAsync(IExampleRetriever retriever, string chunk, int poolSize, ulong seed, long[] coordinates,
        CancellationToken cancellation)
    {
        int k = Math.Min(options.K, poolSize);
        var chosen = (await retriever.RetrieveAsync(chunk, k, cancellation).ConfigureAwait(false)).Select(r => r.Index).ToList();
        if (chosen.Count == k) return chosen;
        var random = Xoshiro256StarStar.ForPurpose(seed, "u2s-fill", coordinates);
        while (chosen.Count < k)
        {
            int candidate = random.NextInt(poolSize);
            if (!chosen.Contains(candidate)) chosen.Add(candidate);
        }
        return chosen;
    }

    /// <summary>Words of a text: the chunk bound's unit when no tokenizer of the generator is at hand (an endpoint).</summary>
    public static int CountWords(string text) => text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;
}
