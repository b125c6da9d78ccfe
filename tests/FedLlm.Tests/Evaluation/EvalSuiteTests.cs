using System.Text.Json.Nodes;
using FedLlm.Evaluation.Runner;
using FedLlm.Evaluation.Suites;
using FedLlm.Generation;
using FedLlm.Generation.Caching;
using FedLlm.Tests.Generation;
using FedLlm.Tests.Infrastructure;

namespace FedLlm.Tests.Evaluation;

/// <summary>Every metric end to end on a tiny random model with two adapters of its own (no shared data needed).</summary>
public class EvalSuiteTests(TinyServedModel tiny, LongContextJudge judge) : IClassFixture<TinyServedModel>, IClassFixture<LongContextJudge>
{
    private static string WriteData(TempDirectory temp)
    {
        string path = temp.File("qa.jsonl");
        string[] countries = ["France", "Spain", "Italy", "Chile", "Peru", "Japan"];
        File.WriteAllLines(path, countries.Select((c, i) => new JsonObject
        {
            ["question"] = $"Name the capital of {c}.",
            ["answer"] = $"It is city {i} #### {i + 10}",
            ["label"] = i % 2 == 0 ? "yes" : "no",
            ["options"] = new JsonArray("red", "green", "blue"),
            ["gold"] = i % 3,
        }.ToJsonString()));
        return path;
    }

    public static EvalSuite AllMetrics(string data, string judgeCache, string judgeModel) => new()
    {
        Name = "all-metrics",
        BootstrapSamples = 200,
        Judge = new GeneratorSection { ModelPath = judgeModel, CacheDir = judgeCache },
        Tasks =
        [
            new EvalTask { Name = "ppl-text", Metric = "perplexity", Data = data, Text = "{question} {answer}" },
            new EvalTask { Name = "ppl-target", Metric = "perplexity", Data = data, Prompt = "{question}", Target = "{answer}" },
            new EvalTask { Name = "em", Metric = "exact_match", Data = data, Prompt = "{question}", Target = "{answer}", Extract = "gsm8k", MaxNewTokens = 6 },
            new EvalTask { Name = "cls-ll", Metric = "classification", Data = data, Prompt = "{question} Yes or no?", Label = "label", Labels = ["yes", "no"] },
            new EvalTask { Name = "cls-gen", Metric = "classification", Mode = "generate", Data = data, Prompt = "{question}", Label = "label", Labels = ["yes", "no"], DefaultLabel = "no", MaxNewTokens = 6 },
            new EvalTask { Name = "mc", Metric = "multiple_choice", Data = data, Prompt = "{question}\n{options:lettered}\nAnswer:", Choices = "options", Answer = "gold" },
            new EvalTask { Name = "rouge", Metric = "rouge_l", Data = data, Prompt = "{question}", Target = "{answer}", MaxNewTokens = 6 },
            new EvalTask { Name = "refusal", Metric = "refusal_rate", Data = data, Prompt = "{question}", MaxNewTokens = 6, Temperature = 0.7, Limit = 4 },
            new EvalTask { Name = "judge", Metric = "judge", Data = data, Prompt = "{question}", Target = "{answer}", MaxNewTokens = 6, JudgeMaxTokens = 8, Limit = 3 },
        ],
    };

    [Fact]
    public async Task EveryMetricScoresEveryExampleAndTwoRunsAgreeExactly()
    {
        using var temp = new TempDirectory();
        var suite = AllMetrics(WriteData(temp), temp.File("judge-cache"), judge.ModelDirectory);
        var target = new EvalTarget(tiny.ModelDirectory, [("a", tiny.AdapterA)]);
        var first = await new EvalRunner(suite, target).RunAsync();
        int cached = new DiskResponseCache(temp.File("judge-cache")).Count;
        var second = await new EvalRunner(suite, target).RunAsync();

        Assert.Equal(suite.Tasks.Count, first.Results.Count);
        foreach (var result in first.Results)
        {
            var task = suite.Tasks.First(t => t.Name == result.Task);
            Assert.Equal(task.Limit ?? 6, result.Examples);
            Assert.Equal(result.Examples, result.PerExample.Count);
            Assert.Equal("a", result.Model);
            Assert.All(result.Aggregates, a => Assert.False(double.IsInfinity(a.Estimate.Value), $"{result.Task}/{a.Name}"));
        }
        // The same suite, model and seed give the same numbers and the same answers, sampled ones included.
        Assert.Equal(Json(suite, first), Json(suite, second));
        // Each judged answer's judgment was stored once; the second run was answered from the cache.
        Assert.Equal(3, cached);
        Assert.Equal(3, new DiskResponseCache(temp.File("judge-cache")).Count);
        var judged = first.Find("judge", "a")!;
        Assert.Equal(0, judged.Counts["errors"]);
        Assert.Equal(3, judged.Counts["parsed"] + judged.Counts["unparsed"]);

        var perplexity = first.Find("ppl-text", "a")!;
        Assert.Equal(Math.Exp(perplexity.Aggregates[0].Estimate.Value), perplexity.Aggregates[1].Estimate.Value, 9);
        Assert.True(perplexity.Counts["tokens"] > 6);
        var choice = first.Find("mc", "a")!;
        Assert.All(choice.PerExample, e => Assert.Equal(3, e["log_probs"]!.AsArray().Count));
    }

    [Fact]
    public async Task AdaptersShareOneBaseLoadAndEachScoresAsItDoesAlone()
    {
        using var temp = new TempDirectory();
        string data = WriteData(temp);
        var suite = new EvalSuite
        {
            Tasks =
            [
                new EvalTask { Name = "mc", Metric = "multiple_choice", Data = data, Prompt = "{question}", Choices = "options", Answer = "gold" },
                new EvalTask { Name = "em", Metric = "exact_match", Data = data, Prompt = "{question}", Target = "{answer}", Extract = "text", MaxNewTokens = 5 },
            ],
        };
        var together = await new EvalRunner(suite, new EvalTarget(tiny.ModelDirectory, [("a", tiny.AdapterA), ("b", tiny.AdapterB)], IncludeBase: true)).RunAsync();
        Assert.Equal(["tiny", "a", "b"], together.Models.Select(m => m.Name));
        foreach (var (name, path) in new[] { ("a", tiny.AdapterA), ("b", tiny.AdapterB) })
        {
            var alone = await new EvalRunner(suite, new EvalTarget(tiny.ModelDirectory, [(name, path)])).RunAsync();
            foreach (string task in new[] { "mc", "em" })
                Assert.Equal(PerExample(alone.Find(task, name)!), PerExample(together.Find(task, name)!));
        }
        // The adapters change what the model does, so the shared load really routed each one.
        Assert.NotEqual(PerExample(together.Find("mc", "tiny")!), PerExample(together.Find("mc", "a")!));
        Assert.NotEqual(PerExample(together.Find("mc", "a")!), PerExample(together.Find("mc", "b")!));
    }

    [Fact]
    public async Task TheReportsNameEveryTaskAndModel()
    {
        using var temp = new TempDirectory();
        var suite = AllMetrics(WriteData(temp), temp.File("judge-cache"), tiny.ModelDirectory) with { Judge = null };
        suite = suite with { Tasks = [.. suite.Tasks.Where(t => t.Metric != "judge")] };
        var results = await new EvalRunner(suite, new EvalTarget(tiny.ModelDirectory, [("a", tiny.AdapterA)], IncludeBase: true)).RunAsync();
        string markdown = EvalReport.Write(temp.File("out"), suite, results);
        foreach (var task in suite.Tasks) Assert.Contains($"## {task.Name}", markdown);
        Assert.Contains("| task | metric | examples | tiny | a |", markdown);
        var json = JsonNode.Parse(File.ReadAllText(temp.File("out/results.json")))!;
        Assert.Equal(suite.Tasks.Count * 2, json["results"]!.AsArray().Count);
        Assert.Contains("data-chart=\"task-cls-ll\"", File.ReadAllText(temp.File("out/report.html")));
    }

    private static string Json(EvalSuite suite, EvalResults results)
    {
        var json = EvalReport.ToJson(suite, results);
        json.Remove("started");
        json.Remove("seconds");
        return json.ToJsonString();
    }

    private static string PerExample(FedLlm.Evaluation.Metrics.TaskResult result) => new JsonArray([.. result.PerExample.Select(e => (JsonNode)e.DeepClone())]).ToJsonString();
}
