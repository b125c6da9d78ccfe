using System.Text.Json.Nodes;
using FedLlm.Models.Conversion;
using FedLlm.Tests.Infrastructure;

namespace FedLlm.Tests.Cli;

/// <summary><c>fedllm eval</c> as a real process: bad suites fail with one line, and real data scores reproducibly.</summary>
public class EvalCommandTests
{
    [Fact]
    public void ABadSuiteFailsWithOneLineNamingTheProblem()
    {
        using var temp = new TempDirectory();
        File.WriteAllText(temp.File("data.jsonl"), "{\"q\": \"x\", \"a\": \"y\"}\n");
        string Suite(string name, string tasks)
        {
            File.WriteAllText(temp.File(name), $"name: s\ntasks:\n{tasks}");
            return temp.File(name);
        }
        string model = temp.Path; // never loaded: every check runs first
        CliErrorTests.AssertOneLineError(CliProcess.Run("eval", "--model", model, "--suite", Suite("typo.yaml", "  - name: t\n    metrc: exact_match\n")),
            "unknown config key 'tasks[0].metrc'");
        CliErrorTests.AssertOneLineError(CliProcess.Run("eval", "--model", model, "--suite", Suite("metric.yaml", "  - name: t\n    metric: bleu\n    data: data.jsonl\n")),
            "tasks[0] (t).metric 'bleu' is unknown");
        CliErrorTests.AssertOneLineError(CliProcess.Run("eval", "--model", model, "--suite", Suite("missing.yaml", "  - name: t\n    metric: rouge_l\n    data: nope.jsonl\n    prompt: \"{q}\"\n")),
            "nope.jsonl does not exist");
        CliErrorTests.AssertOneLineError(CliProcess.Run("eval", "--model", model, "--suite", Suite("judge.yaml", "  - name: t\n    metric: judge\n    data: data.jsonl\n    prompt: \"{q}\"\n")),
            "needs the suite's judge: section");
        CliErrorTests.AssertOneLineError(CliProcess.Run("eval", "--model", model, "--suite", Suite("field.yaml", "  - name: t\n    metric: rouge_l\n    data: data.jsonl\n    prompt: \"{question}\"\n    target: \"{a}\"\n")),
            "has no field 'question'");
    }

    private const string SharedSuite = """
        name: shared
        template: plain
        tasks:
          - name: gsm8k
            metric: exact_match
            data: {shared}/data/gsm8k/test.jsonl
            limit: 20
            prompt: "Question: {{question}}\nAnswer:"
            target: "{{answer}}"
            extract: last_number
            max_new_tokens: 24
          - name: pubmedqa
            metric: classification
            data: {shared}/data/pubmedqa/ori_pqal.json
            keys_from: {shared}/data/pubmedqa/test_ground_truth.json
            limit: 20
            prompt: "{{CONTEXTS}}\nQuestion: {{QUESTION}}\nAnswer:"
            label: final_decision
            labels: [yes, no, maybe]
        """;

    /// <summary>
    /// The first 20 GSM8K test problems with the final answer after "####", checked by hand against test.jsonl.
    /// stories260K (a children's-story model) writes no number for any of them, so none is extracted and none is right.
    /// </summary>
    private static readonly (string Id, string Gold)[] Gsm8k =
    [
        ("1", "18"), ("2", "3"), ("3", "70000"), ("4", "540"), ("5", "20"), ("6", "64"), ("7", "260"), ("8", "160"), ("9", "45"), ("10", "460"),
        ("11", "366"), ("12", "694"), ("13", "13"), ("14", "18"), ("15", "60"), ("16", "125"), ("17", "230"), ("18", "57500"), ("19", "7"), ("20", "6"),
    ];

    /// <summary>
    /// The first 20 PubMedQA test-split items (ori_pqal.json order, ids in test_ground_truth.json) with their gold label
    /// (checked by hand against test_ground_truth.json) and stories260K's likeliest label; the three "no" agreements
    /// make accuracy 3/20 and macro-F1 (F1(no) = 6/17, yes and maybe 0) 2/17.
    /// </summary>
    private static readonly (string Id, string Gold, string Predicted)[] PubMedQa =
    [
        ("21645374", "yes", "no"), ("16418930", "no", "maybe"), ("9488747", "yes", "maybe"), ("17208539", "no", "maybe"), ("26037986", "maybe", "no"),
        ("26852225", "no", "maybe"), ("18239988", "yes", "maybe"), ("26578404", "yes", "no"), ("22694248", "yes", "maybe"), ("19394934", "yes", "no"),
        ("11481599", "yes", "maybe"), ("23806388", "yes", "maybe"), ("10966943", "no", "no"), ("23690198", "yes", "no"), ("17940352", "maybe", "no"),
        ("20537205", "yes", "no"), ("28707539", "yes", "no"), ("7482275", "no", "no"), ("8847047", "no", "no"), ("20084845", "yes", "maybe"),
    ];

    [SharedDataFact]
    public void Gsm8kExactMatchAndPubMedQaAccuracyOfAFixedModelAreReproducibleAndMatchTheHandCheckedSample()
    {
        using var temp = new TempDirectory();
        string model = temp.File("stories260K");
        Llama2cConverter.Convert(SharedData.PathOf("models/stories260K/stories260K.bin"), SharedData.PathOf("models/stories260K/tok512.bin"), model);
        File.WriteAllText(temp.File("suite.yaml"), SharedSuite.Replace("{shared}", SharedData.Root, StringComparison.Ordinal).Replace("{{", "{").Replace("}}", "}"));

        var runs = new List<JsonNode>();
        foreach (string output in new[] { "first", "second" })
        {
            var result = CliProcess.Run("eval", "--model", model, "--suite", temp.File("suite.yaml"), "--out", temp.File(output));
            Assert.True(result.ExitCode == 0, result.Stderr);
            Assert.Contains("| pubmedqa | accuracy | 20 |", result.Stdout);
            var json = JsonNode.Parse(File.ReadAllText(temp.File($"{output}/results.json")))!;
            json.AsObject().Remove("started");
            json.AsObject().Remove("seconds");
            runs.Add(json);
        }
        Assert.Equal(runs[0].ToJsonString(), runs[1].ToJsonString());

        var results = runs[0]["results"]!.AsArray();
        var gsm8k = results.Single(r => r!["task"]!.GetValue<string>() == "gsm8k")!;
        Assert.Equal(0.0, gsm8k["aggregates"]!["exact_match"]!["value"]!.GetValue<double>());
        var examples = gsm8k["per_example"]!.AsArray();
        Assert.Equal(Gsm8k.Select(g => g.Id), examples.Select(e => e!["id"]!.GetValue<string>()));
        Assert.Equal(Gsm8k.Select(g => g.Gold), examples.Select(e => e!["reference"]!.GetValue<string>()));
        Assert.All(examples, e => Assert.Null(e!["extracted"]));

        var pubmed = results.Single(r => r!["task"]!.GetValue<string>() == "pubmedqa")!;
        var items = pubmed["per_example"]!.AsArray();
        Assert.Equal(PubMedQa.Select(p => (p.Id, p.Gold, p.Predicted)),
            items.Select(e => (e!["id"]!.GetValue<string>(), e["label"]!.GetValue<string>(), e["predicted"]!.GetValue<string>())));
        Assert.Equal(3.0 / 20, pubmed["aggregates"]!["accuracy"]!["value"]!.GetValue<double>(), 12);
        Assert.Equal(2.0 / 17, pubmed["aggregates"]!["macro_f1"]!["value"]!.GetValue<double>(), 12);
        Assert.Equal(3, pubmed["counts"]!["correct"]!.GetValue<int>());
    }
}
