using FedLlm.Synthesis.Retrieval;

namespace FedLlm.Tests.Synthesis;

public class RetrievalTests
{
    private static readonly string[] Pool =
    [
        "Fever treatment at home",
        "Iron deficiency symptoms",
        "Fever, fever in children",
        "Home remedies for a cough",
        "Home remedies for a cough",
    ];

    [Fact]
    public void Bm25ScoresMatchTheFormula()
    {
        var bm25 = new Bm25Retriever(Pool);
        // N = 5, avgdl = 19/5 = 3.8; idf(at) = ln(1 + 4.5/1.5), idf(fever) = ln(1 + 3.5/2.5), idf(home) = ln(1 + 2.5/3.5).
        double Tf(int tf, int length) => tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * length / 3.8));
        double idfAt = Math.Log(4), idfFever = Math.Log(2.4), idfHome = Math.Log(1 + 2.5 / 3.5);
        var scores = bm25.Score("fever at home?").ToDictionary(r => r.Index, r => r.Score);
        Assert.Equal((idfAt + idfFever + idfHome) * Tf(1, 4), scores[0], 12);
        Assert.Equal(idfFever * Tf(2, 4), scores[2], 12);
        Assert.Equal(idfHome * Tf(1, 4), scores[3], 12);
        Assert.Equal(2.7417271954761304, scores[0], 12); // independent reference implementation
        Assert.False(scores.ContainsKey(1)); // shares no term
    }

    [Fact]
    public async Task Bm25RanksBestFirstWithTiesToTheLowerIndex()
    {
        var bm25 = new Bm25Retriever(Pool);
        Assert.Equal([0, 2, 3, 4], (await bm25.RetrieveAsync("fever at home?", 10)).Select(r => r.Index));
        Assert.Equal([0, 2], (await bm25.RetrieveAsync("fever at home?", 2)).Select(r => r.Index));
        Assert.Equal([3, 4], (await bm25.RetrieveAsync("a cough remedy", 3)).Select(r => r.Index)); // "remedy" ≠ "remedies"
        Assert.Empty(await bm25.RetrieveAsync("quantum chromodynamics", 3));
        Assert.Empty(await new Bm25Retriever([]).RetrieveAsync("fever", 3));
    }

    /// <summary>A fake embedder: counts of the letters a, e, i, o, u.</summary>
    private sealed class VowelEmbedder : ITextEmbedder
    {
        public int Calls { get; private set; }

        public Task<IReadOnlyList<float[]>> EmbedAsync(IReadOnlyList<string> texts, CancellationToken cancellation = default)
        {
            Calls++;
            return Task.FromResult<IReadOnlyList<float[]>>([.. texts.Select(t => "aeiou".Select(v => (float)t.Count(c => c == v)).ToArray())]);
        }
    }

    [Fact]
    public async Task EmbeddingRetrievalRanksByCosine()
    {
        var embedder = new VowelEmbedder();
        var retriever = await EmbeddingRetriever.CreateAsync(embedder, ["aaa", "eee", "aae", "xyz"]);
        Assert.Equal(1, embedder.Calls); // the pool is embedded once
        IReadOnlyList<RetrievedExample> top = await retriever.RetrieveAsync("a", 3);
        // cos("a", ·): 1, 0, 2/√5; "xyz" has a zero vector and is skipped.
        Assert.Equal([0, 2, 1], top.Select(r => r.Index));
        Assert.Equal(2 / Math.Sqrt(5), top[1].Score, 6);
    }
}
