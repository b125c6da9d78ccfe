using System.Text.Json.Nodes;
using FedLlm.Data.Demo;
using FedLlm.Evaluation.Metrics;
using FedLlm.Evaluation.Runner;
using FedLlm.Evaluation.Suites;
using FedLlm.Federation.Demo;
using FedLlm.Generation;
using FedLlm.Generation.Caching;
using FedLlm.Models.Presets;
using FedLlm.Tests.Generation;
using FedLlm.Tests.Infrastructure;

namespace FedLlm.Tests.Evaluation;

/// <summary>
/// A random model whose context holds a whole judge prompt (2,048 positions, a tokenizer that has seen the prompt's
/// words): it grades nonsense, so its judgments are real generations that never parse, which is what the counting of
/// unparsed judgments and the cache are tested with.
/// </summary>
public sealed class LongContextJudge : IDisposable
{
    public TempDirectory Temp { get; } = new();
    public string ModelDirectory { get; }

    public LongContextJudge()
    {
        ModelDirectory = Directory.CreateDirectory(Temp.File("judge")).FullName;
        string instructions = JudgePrompt.Messages("question", "answer", "reference")[1].Text;
        var corpus = DemoTasks.Generate(400, 1).SelectMany(e => e.Conversation.Turns.Select(t => t.Content)).Append(instructions);
        var tokenizer = DemoTokenizer.Create(ModelDirectory, corpus);
        RandomModel.Create(ModelDirectory, new ModelPreset("judge", 64, 176, 2, 4, 2, 2048), tokenizer, seed: 8);
    }

    public void Dispose() => Temp.Dispose();
}

public class JudgeTests(TinyServedModel tiny, LongContextJudge judge) : IClassFixture<TinyServedModel>, IClassFixture<LongContextJudge>
{
    [Fact]
    public async Task AJudgeServedByFedllmServeGradesOnceAndTheCacheAnswersWhenTheServerIsGone()
    {
        using var temp = new TempDirectory();
        string data = temp.File("questions.jsonl");
        File.WriteAllLines(data, new[] { "Name the capital of France.", "Name the capital of Spain.", "What is 2 plus 2?" }.Select(q => new JsonObject { ["q"] = q, ["ref"] = "Paris" }.ToJsonString()));
        int port = BackgroundCli.FreePort();
        using var server = BackgroundCli.Start("fedllm serve (judge)", temp.Path, "serve", "--model", judge.ModelDirectory, "--served-model-name", "judge",
            "--listen", $"http://127.0.0.1:{port}", "--max-batch", "4");
        server.WaitFor("listening on", TimeSpan.FromMinutes(2));

        var suite = new EvalSuite
        {
            Name = "judged",
            BootstrapSamples = 50,
            Judge = new GeneratorSection { Endpoint = $"http://127.0.0.1:{port}/v1", Model = "judge", CacheDir = temp.File("judgments"), MaxRetries = 2, RetryDelaySeconds = 0.2 },
            Tasks = [new EvalTask { Name = "chat", Metric = "judge", Data = data, Prompt = "{q}", Target = "{ref}", MaxNewTokens = 6, JudgeMaxTokens = 12 }],
        };
        var target = new EvalTarget(tiny.ModelDirectory, [("a", tiny.AdapterA)]);
        var first = (await new EvalRunner(suite, target).RunAsync()).Results.Single();
        Assert.Equal(0, first.Counts["errors"]);
        // A random judge writes no [[x]]: every judgment is unparsed, counted, and kept out of the (undefined) mean.
        Assert.Equal(3, first.Counts["unparsed"]);
        Assert.Equal(0, first.Counts["parsed"]);
        Assert.True(double.IsNaN(first.Headline.Estimate.Value));
        Assert.All(first.PerExample, e => Assert.False(string.IsNullOrEmpty(e["judgment"]?.GetValue<string>())));
        Assert.Equal(3, new DiskResponseCache(temp.File("judgments")).Count);

        server.Kill();
        var second = (await new EvalRunner(suite, target).RunAsync()).Results.Single();
        Assert.Equal(0, second.Counts["errors"]);
        Assert.Equal(first.PerExample.Select(e => e.ToJsonString()), second.PerExample.Select(e => e.ToJsonString()));
    }
}
