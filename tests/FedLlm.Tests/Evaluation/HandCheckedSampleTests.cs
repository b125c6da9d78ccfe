using System.Text.Json.Nodes;
using FedLlm.Evaluation.Metrics;
using FedLlm.Evaluation.Scoring;
using FedLlm.Evaluation.Suites;
using FedLlm.Generation.Local;
using FedLlm.Tests.Generation;
using FedLlm.Tests.Infrastructure;
using FedLlm.Tests.Synthesis;

namespace FedLlm.Tests.Evaluation;

/// <summary>
/// The first 20 GSM8K and PubMedQA test items of ../shared, each with a model output written by hand (right answers,
/// wrong ones, no answer, and the rules' known traps), the answer a person reads out of it, the gold and the verdict,
/// checked by hand. The outputs are fed to the eval's own metric code in place of the model's generations, so the
/// metric must reproduce every verdict and the aggregate; a real model (EvalCommandTests) gets almost none right, which
/// could not show a metric that marks right answers wrong.
/// </summary>
public class HandCheckedSampleTests(TinyServedModel tiny) : IClassFixture<TinyServedModel>
{
    /// <summary>GSM8K test.jsonl, lines 1–20, under the <c>last_number</c> rule of EvalCommandTests' suite: 13 right.</summary>
    private static readonly (string Id, string Question, string Output, string? Extracted, string Gold, bool Correct)[] Gsm8k =
    [
        ("1", "Janet's ducks lay 16 eggs per day...", "She sells 16 - 3 - 4 = 9 eggs and makes 9 * 2 = $18.", "18", "18", true),
        ("2", "A robe takes 2 bolts of blue fiber...", "It takes 2 + 1 = 3 bolts.", "3", "3", true),
        ("3", "Josh decides to try flipping a house...", "He made a profit of $70,000.", "70000", "70000", true),
        ("4", "James decides to run 3 sprints 3 times a week...", "He runs 3 * 3 * 60 = 540.00 meters a week.", "540", "540", true),
        ("5", "Every day, Wendi feeds each of her chickens...", "Wendi needs 20 cups, I think 21.", "21", "20", false),
        ("6", "Kylar went to the store to buy glasses...", "Once upon a time there was a little glass.", null, "64", false),
        ("7", "Toulouse has twice as many sheep as Charleston...", "Together they have 20 + 80 + 160 = 260 sheep", "260", "260", true),
        ("8", "Carla is downloading a 200 GB file...", "It takes 160 minutes.\n#### 160", "160", "160", true),
        ("9", "John drives for 3 hours at a speed of 60 mph...", "He is 45 miles from home after 4 hours", "4", "45", false),
        ("10", "Eliza's rate per hour for the first 40 hours...", "Eliza earns $460 this week.", "460", "460", true),
        ("11", "A new program had 60 downloads in the first month...", "60 + 180 + 126 = 366 downloads", "366", "366", true),
        ("12", "Toula went to the bakery...", "The total cost was $1,694.", "1694", "694", false),
        ("13", "Carlos is planting a lemon tree...", "It takes 13 years.", "13", "13", true),
        ("14", "Melanie is a door-to-door saleswoman...", "She started with 18 vacuum cleaners.", "18", "18", true),
        ("15", "In a dance class of 20 students...", "60% of the students enrolled in hip-hop dance.", "60", "60", true),
        ("16", "A merchant wants to make a choice of purchase...", "The profit is -125 dollars.", "-125", "125", false),
        ("17", "Two trains leave San Rafael at the same time...", "Each train covers 80 + 150 = 230 miles.", "230", "230", true),
        ("18", "Jill gets paid $20 per hour to teach...", "Jill makes 57500.5 a year.", "57500.5", "57500", false),
        ("19", "Claire makes a 3 egg omelet every morning...", "Claire eats 7 dozen eggs.", "7", "7", true),
        ("20", "Marissa is hiking a 12-mile trail...", "", null, "6", false),
    ];

    /// <summary>
    /// PubMedQA's first 20 test items (ori_pqal.json order, ids in test_ground_truth.json), classified by generation:
    /// the first of yes, no, maybe occurring in the output (case-sensitive substring), else unmapped. 13 right.
    /// </summary>
    private static readonly (string Id, string Output, string? Mapped, string Gold, bool Correct)[] PubMedQa =
    [
        ("21645374", "yes", "yes", "yes", true),
        ("16418930", "no, the results do not support it", "no", "no", true),
        ("9488747", "maybe", "maybe", "yes", false),
        ("17208539", "no", "no", "no", true),
        ("26037986", "maybe", "maybe", "maybe", true),
        ("26852225", "The answer is yes.", "yes", "no", false),
        ("18239988", "yes, significantly", "yes", "yes", true),
        ("26578404", "Yes.", null, "yes", false), // case-sensitive: "Yes" is not "yes"
        ("22694248", "yes", "yes", "yes", true),
        ("19394934", "It is not known.", "no", "yes", false), // "no" occurs inside "not"
        ("11481599", "yes", "yes", "yes", true),
        ("23806388", "", null, "yes", false),
        ("10966943", "no", "no", "no", true),
        ("23690198", "yes", "yes", "yes", true),
        ("17940352", "maybe yes", "yes", "maybe", false), // labels are tried in order: yes before maybe
        ("20537205", "yes", "yes", "yes", true),
        ("28707539", "once upon a time", null, "yes", false),
        ("7482275", "no", "no", "no", true),
        ("8847047", "maybe not", "no", "no", true),
        ("20084845", "yes", "yes", "yes", true),
    ];

    private TaskContext Context(EvalTask task, LikelihoodScorer scorer, Dictionary<string, string> outputs)
    {
        var suite = new EvalSuite { Name = "hand-checked", BootstrapSamples = 100, Tasks = [task] };
        var items = EvalItems.Load(task);
        // The hand-written outputs stand in for the model's generations, found by the item's prompt.
        var byPrompt = items.ToDictionary(i => i.Prompt!, i => outputs[i.Id]);
        var model = new ScriptedGenerator(prompt => byPrompt[prompt]);
        return new TaskContext(suite, task, MetricKinds.Names.Parse(task.Metric, "metric"), items, 0, "hand", scorer, model, Judge: null);
    }

    private AdapterHost Host() => AdapterHost.Load(tiny.ModelDirectory, "float32", "plain", [], new HostLimits { MaxBatch = 4 });

    [SharedDataFact]
    public async Task Gsm8kExactMatchReproducesEveryHandCheckedVerdict()
    {
        using var host = Host();
        var task = new EvalTask
        {
            Name = "gsm8k", Metric = "exact_match", Data = SharedData.PathOf("data/gsm8k/test.jsonl"), Limit = 20,
            Prompt = "Question: {question}\nAnswer:", Target = "{answer}", Extract = "last_number",
        };
        var context = Context(task, new LikelihoodScorer(host, 4), Gsm8k.ToDictionary(g => g.Id, g => g.Output));
        Assert.All(context.Items.Zip(Gsm8k), p => Assert.StartsWith(p.Second.Question[..20], p.First.Prompt![10..].Replace('\u2019', '\'')));

        var result = await ExactMatchMetric.RunAsync(context, CancellationToken.None);

        Assert.Equal(Gsm8k.Select(g => (g.Id, g.Output, g.Extracted, g.Gold, g.Correct)), result.PerExample.Select(e => (
            e["id"]!.GetValue<string>(), e["answer"]!.GetValue<string>(), e["extracted"]?.GetValue<string>(),
            e["reference"]!.GetValue<string>(), e["correct"]!.GetValue<bool>())));
        Assert.Equal(13.0 / 20, Value(result, "exact_match"), 12);
        Assert.Equal(13, result.Counts["correct"]);
        Assert.Equal(2, result.Counts["no_answer"]);
    }

    [SharedDataFact]
    public async Task PubMedQaGenerationAccuracyReproducesEveryHandCheckedVerdict()
    {
        using var host = Host();
        var task = new EvalTask
        {
            Name = "pubmedqa", Metric = "classification", Mode = "generate", Data = SharedData.PathOf("data/pubmedqa/ori_pqal.json"),
            KeysFrom = SharedData.PathOf("data/pubmedqa/test_ground_truth.json"), Limit = 20,
            Prompt = "{CONTEXTS}\nQuestion: {QUESTION}\nAnswer:", Label = "final_decision", Labels = ["yes", "no", "maybe"],
        };
        var context = Context(task, new LikelihoodScorer(host, 4), PubMedQa.ToDictionary(p => p.Id, p => p.Output));

        var result = await ClassificationMetric.RunAsync(context, CancellationToken.None);

        Assert.Equal(PubMedQa.Select(p => (p.Id, p.Output, p.Mapped, p.Gold, p.Correct)), result.PerExample.Select(e => (
            e["id"]!.GetValue<string>(), e["answer"]!.GetValue<string>(), e["predicted"]?.GetValue<string>(),
            e["label"]!.GetValue<string>(), e["correct"]!.GetValue<bool>())));
        Assert.Equal(13.0 / 20, Value(result, "accuracy"), 12);
        Assert.Equal(3, result.Counts["unmapped"]);
        // F1: yes 14/21, no 10/12, maybe 2/4, and the unmapped answers' own label 0 (sklearn without labels=): mean 1/2.
        Assert.Equal(0.5, Value(result, "macro_f1"), 12);
    }

    private static double Value(TaskResult result, string aggregate) => result.Aggregates.Single(a => a.Name == aggregate).Estimate.Value;
}
