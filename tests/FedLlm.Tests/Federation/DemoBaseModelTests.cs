using FedLlm.Data.Demo;
using FedLlm.Data.Templates;
using FedLlm.Federation.Demo;
using FedLlm.Tests.Infrastructure;
using FedLlm.Training.Examples;

namespace FedLlm.Tests.Federation;

public sealed class DemoBaseModelTests
{
    /// <summary>
    /// Regression: the warm-up once never produced the capitals, upper-case words and most sums the demo tasks answer
    /// with, so their tied embeddings stayed untrained and collapsed onto one direction (pairwise cosine 0.98). LoRA
    /// cannot change embeddings, so the federated run could never learn to say them (5 % accuracy). Every token a demo
    /// answer trains must be a trained warm-up token.
    /// </summary>
    [Fact]
    public void WarmUpTrainsEveryTokenTheDemoAnswersUse()
    {
        using var temp = new TempDirectory();
        var warmUp = DemoBaseModel.WarmUpExamples();
        var tokenizer = DemoTokenizer.Create(temp.Path, DemoBaseModel.TokenizerCorpus(warmUp));
        var template = TemplateRegistry.Get("chatml", endOfTurn: DemoTokenizer.EndOfTurn);
        var examples = new ExampleTokenizer(tokenizer, template, 96, tokenizer.BosId);

        static IEnumerable<int> Trained(TokenizedExample? e) => e!.Labels.Where(l => l != TokenizedExample.IgnoreLabel);
        var warmUpTargets = warmUp.SelectMany(e => Trained(examples.Tokenize(e.Conversation))).ToHashSet();
        var untrained = DemoTasks.Generate(1400, DemoRunner.Seed)
            .SelectMany(e => Trained(examples.Tokenize(e.Conversation)))
            .Where(id => !warmUpTargets.Contains(id)).Distinct().Select(tokenizer.IdToToken).ToList();
        Assert.True(untrained.Count == 0, $"demo answer tokens the warm-up never trains: {string.Join(", ", untrained)}");
    }

    [Fact]
    public void UserRoleIsOneToken()
    {
        using var temp = new TempDirectory();
        var tokenizer = DemoTokenizer.Create(temp.Path, DemoBaseModel.TokenizerCorpus(DemoBaseModel.WarmUpExamples()));
        Assert.Single(tokenizer.Encode("user"));
    }
}
