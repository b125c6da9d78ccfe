using FedLlm.Data.Demo;
using FedLlm.Evaluation.Perplexity;
using FedLlm.Federation.Demo;
using FedLlm.Models;
using FedLlm.Models.Presets;
using FedLlm.Tests.Infrastructure;

namespace FedLlm.Tests.Evaluation;

public class SequenceScorerTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ShortWindowsPredictEveryTokenExactlyOnce(bool addBos)
    {
        using var temp = new TempDirectory();
        var corpus = DemoTasks.Generate(200, 1).SelectMany(e => e.Conversation.Turns.Select(t => t.Content));
        var tokenizer = DemoTokenizer.Create(temp.Path, corpus);
        RandomModel.Create(temp.Path, ModelPreset.Get("tiny"), tokenizer, seed: 2);
        string tokenizerConfig = Path.Combine(temp.Path, "tokenizer_config.json");
        File.WriteAllText(tokenizerConfig, File.ReadAllText(tokenizerConfig).Replace("\"add_bos_token\":true", $"\"add_bos_token\":{(addBos ? "true" : "false")}"));
        using var model = PretrainedModel.Load(temp.Path);
        string text = string.Join(' ', DemoTasks.Generate(12, 3).Select(e => e.Conversation.Turns[0].Content));
        int ids = model.Tokenizer.Encode(text).Count;
        Assert.True(ids > 20, $"{ids} tokens");

        // Without BOS the first token has nothing to be predicted from; with BOS every text token is predicted.
        Assert.Equal(addBos, model.PrependedBosId is not null);
        int expected = addBos ? ids : ids - 1;
        foreach (int window in new[] { 2, 5, 6, 1000 })
            Assert.Equal(expected, new SequenceScorer(model, window).Score(text).Tokens);
        Assert.Throws<ArgumentOutOfRangeException>(() => new SequenceScorer(model, 1).Score(text));
    }
}
