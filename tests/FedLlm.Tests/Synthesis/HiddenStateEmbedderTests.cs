using FedLlm.Generation;
using FedLlm.Generation.Local;
using FedLlm.Synthesis.Retrieval;
using FedLlm.Tests.Generation;

namespace FedLlm.Tests.Synthesis;

/// <summary>The in-process model's embeddings, as FedIT-U2S's embedding retrieval uses them.</summary>
public class HiddenStateEmbedderTests : IClassFixture<TinyServedModel>
{
    private readonly TinyServedModel _model;

    public HiddenStateEmbedderTests(TinyServedModel model) => _model = model;

    [Fact]
    public async Task EmbeddingsAreMeanHiddenStatesThatFindTheSameTextFirst()
    {
        using var loaded = _model.Load();
        var embedder = new EmbeddingGeneratorEmbedder(new HiddenStateEmbedder(loaded));
        string[] pool = ["the capital of Zorland is Zor", "count from one to five", "my friend likes green apples"];
        var vectors = await embedder.EmbedAsync([.. pool, pool[1]]);
        Assert.All(vectors, v => Assert.Equal(loaded.Config.HiddenSize, v.Length));
        Assert.Equal(vectors[1], vectors[3]);
        Assert.NotEqual(vectors[0], vectors[1]);

        var retriever = await EmbeddingRetriever.CreateAsync(embedder, pool);
        var ranked = await retriever.RetrieveAsync("count from one to five", k: 3);
        Assert.Equal(1, ranked[0].Index);
        Assert.Equal(1.0, ranked[0].Score, 5);
    }

    [Fact]
    public void OnlyTheInProcessGeneratorOffersEmbeddingsAndAnEndpointCountsTokensOnlyWithATokenizerPath()
    {
        var localSection = new GeneratorSection { ModelPath = _model.ModelDirectory };
        using var local = Generators.Create(localSection);
        Assert.NotNull(Generators.Embedder(local));
        int tokens = Generators.TokenCounter(local, localSection)!("count from one to five");
        Assert.True(tokens > 0);
        var endpointSection = new GeneratorSection { Endpoint = "http://127.0.0.1:9/v1", Model = "m" };
        using var endpoint = Generators.Create(endpointSection);
        Assert.Null(Generators.Embedder(endpoint));
        Assert.Null(Generators.TokenCounter(endpoint, endpointSection));
        // With the served model's folder, an endpoint's text is counted exactly as the model counts it.
        Assert.Equal(tokens, Generators.TokenCounter(endpoint, endpointSection with { TokenizerPath = _model.ModelDirectory })!("count from one to five"));
        Assert.Contains("tokenizer_path applies to an endpoint", string.Join("; ", (localSection with { TokenizerPath = "x" }).Validate()));
    }
}
