using FedLlm.Synthesis.Inputs;
using FedLlm.Synthesis.Pipelines;
using FedLlm.Tests.Infrastructure;

namespace FedLlm.Tests.Synthesis;

public class SynthesisInputsTests
{
    [Fact]
    public void APoolWithoutInstructionFieldsIsRefusedNamingTheFile()
    {
        using var temp = new TempDirectory();
        string pool = temp.File("pool.jsonl");
        File.WriteAllText(pool, "{\"text\": \"Fever is common in children.\"}\n{\"text\": \"Rest helps.\"}\n");
        var error = Assert.Throws<SynthesisException>(() => SynthesisInputs.LoadPairs(pool, "pool"));
        Assert.Contains(pool, error.Message);
        Assert.Contains("no instruction/response records", error.Message);
        Assert.Contains("2 plain-text records", error.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("\n   \n\n")]
    public void AnEmptyCorpusIsOneClearError(string content)
    {
        using var temp = new TempDirectory();
        string corpus = temp.File("corpus.txt");
        File.WriteAllText(corpus, content);
        var error = Assert.Throws<SynthesisException>(() => SynthesisInputs.LoadCorpus(corpus));
        Assert.Contains(corpus, error.Message);
        Assert.Contains("empty", error.Message);
    }

    [Fact]
    public void ACorpusFileThatDoesNotExistIsNamed()
    {
        var error = Assert.Throws<SynthesisException>(() => SynthesisInputs.LoadCorpus("/no/such/corpus.txt"));
        Assert.Contains("/no/such/corpus.txt", error.Message);
    }

    [SharedDataFact]
    public void PubMedQaContextsAreRawTextThroughATextField()
    {
        var corpus = SynthesisInputs.LoadCorpus(SharedData.PathOf("data/pubmedqa/ori_pqal.json"), textField: "CONTEXTS");
        Assert.Equal(1000, corpus.Count);
        Assert.All(corpus.Take(20), t => Assert.True(t.Text.Length > 200, t.Source));
        var pool = SynthesisInputs.LoadPairs(SharedData.PathOf("data/alpaca/alpaca_en_demo.json"), "pool");
        Assert.Equal(999, pool.Count);
    }
}
