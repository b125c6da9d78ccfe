using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using FedLlm.Data.Demo;
using FedLlm.Generation.Caching;
using FedLlm.Synthesis.Output;
using FedLlm.Tests.Infrastructure;

namespace FedLlm.Tests.Synthesis;

public class ExperimentCommandTests
{
    /// <summary>The FedGC experiment on the tiniest settings: a random model, so its generations are not parseable and FedGC adds nothing.</summary>
    private static string FedgcConfig(TempDirectory temp)
    {
        string model = CliProcess.InitTinyModel(temp.File("model"));
        string records = temp.File("records.jsonl");
        SyntheticDatasetWriter.Write(records, DemoTasks.Generate(48, seed: 2).Select(e =>
            new SyntheticExample(e.Conversation.Turns[0].Content, e.Conversation.FinalResponse!, Origin: null) { Category = e.Metadata.Category }));
        string Prompt(string name) => TutoredStories.Prompt(name).Replace('\\', '/');
        string config = temp.File("fedgc.yaml");
        File.WriteAllText(config, $"""
            name: smoke
            output_directory: {temp.File("experiments")}
            data:
              path: {records}
            fedgc:
              budget: 2
              k: 1
              templates: {Prompt("fedgc-tiny.txt")},{Prompt("fedgc-tiny-varied.txt")}
              example_prompt: {Prompt("example-tiny.txt")}
              sampling:
                max_new_tokens: 8
            run:
              seed: 3
              model:
                path: {model}
              data:
                template: chatml
                held_out_fraction: 0.2
                test_fraction: 0.2
              split:
                method: dirichlet
                field: category
                alpha: 0.5
                clients: 2
              rounds: 1
              lora:
                rank: 2
                alpha: 4
                dropout: 0
                targets: q_proj,v_proj
              training:
                max_steps: 1
                batch_size: 2
                max_sequence_length: 64
              evaluation:
                max_examples: 4
                max_accuracy_examples: 1
                max_test_accuracy_examples: 2
            """);
        return config;
    }

    /// <summary>The whole command: both arms run on the same split and the table is printed and written.</summary>
    [Fact]
    public void ExperimentFedgcPrintsAndWritesItsComparisonTable()
    {
        using var temp = new TempDirectory();
        string config = FedgcConfig(temp);
        var result = CliProcess.Run("experiment", "fedgc", "--config", config);
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("no augmentation", result.Stdout);
        Assert.Contains("FedGC (2 per client, equal, several prompts, both guidance)", result.Stdout);

        string folder = temp.File("experiments/smoke");
        Assert.Contains("| base model |", File.ReadAllText(Path.Combine(folder, "results.md")));
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "results.json")))!;
        Assert.Equal(["base model", "no augmentation", "FedGC (2 per client, equal, several prompts, both guidance)"],
            json["rows"]!.AsArray().Select(r => r!["arm"]!.GetValue<string>()));
        // Both arms scored the same held-out and test records.
        Assert.True(Directory.Exists(Path.Combine(folder, "no-augmentation")) && Directory.Exists(Path.Combine(folder, "fedgc", "synthetic")));
    }

    /// <summary>
    /// <c>backend: http</c>: the generator is served by FedLlm's OpenAI-compatible server and called over loopback. Two
    /// runs without a cache write the same table and the same generations (determinism for a seed); a re-run whose
    /// clients must generate again (their reusable rows deleted) is answered from the response cache and sends the
    /// server no request.
    /// </summary>
    [Fact]
    public void ExperimentFedgcOverHttpIsDeterministicAndARerunIsAnsweredFromTheCache()
    {
        using var temp = new TempDirectory();
        string config = FedgcConfig(temp);
        string port = BackgroundCli.FreePort().ToString(CultureInfo.InvariantCulture);

        (string Rows, string Generations, int Requests) Run(string outputDirectory)
        {
            var result = CliProcess.Run("experiment", "fedgc", "--config", config, "--output-directory", outputDirectory, "--backend", "http", "--http-port", port);
            Assert.True(result.ExitCode == 0, result.Stderr);
            var served = Regex.Match(result.Stdout, @"over HTTP \(http://127\.0\.0\.1:(\d+)\), (\d+) generation request\(s\) served");
            Assert.True(served.Success, result.Stdout);
            Assert.Equal(port, served.Groups[1].Value);
            string folder = Path.Combine(outputDirectory, "smoke");
            var rows = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "results.json")))!["rows"]!.ToJsonString();
            // Each client's rows, and its summary's tally, whose reasons quote the start of the generations it dropped
            // (the fingerprint names the cache folder, which differs between output folders).
            string synthetic = Path.Combine(folder, "fedgc", "synthetic");
            string generations = string.Concat(Directory.EnumerateFiles(synthetic).Order(StringComparer.Ordinal).Select(file =>
            {
                if (Path.GetExtension(file) != ".json") return File.ReadAllText(file);
                var summary = JsonNode.Parse(File.ReadAllText(file))!.AsObject();
                summary.Remove("fingerprint");
                return summary.ToJsonString();
            }));
            return (rows, generations, int.Parse(served.Groups[2].Value, CultureInfo.InvariantCulture));
        }

        string first = temp.File("first");
        var uncached = Run(first);
        var prompts = Directory.EnumerateFiles(Path.Combine(first, "smoke", "fedgc", "synthetic"), "client-*.json")
            .Sum(f => JsonNode.Parse(File.ReadAllText(f))!["tally"]!["prompts"]!.GetValue<int>());
        Assert.True(prompts > 0);
        Assert.Equal(prompts, uncached.Requests);
        Assert.Equal(prompts, new DiskResponseCache(Path.Combine(first, "smoke", "cache")).Count);

        var again = Run(temp.File("second"));
        Assert.Equal(uncached.Requests, again.Requests);
        Assert.Equal(uncached.Rows, again.Rows);
        Assert.Equal(uncached.Generations, again.Generations);

        // Without its rows to reuse, the FedGC arm generates again: every answer comes from first/smoke/cache.
        Directory.Delete(Path.Combine(first, "smoke", "fedgc", "synthetic"), recursive: true);
        var cached = Run(first);
        Assert.Equal(0, cached.Requests);
        Assert.Equal(uncached.Rows, cached.Rows);
        Assert.Equal(uncached.Generations, cached.Generations);
    }

    /// <summary>
    /// <c>fedllm experiment knowledgesg</c> on the tiniest settings (a random model: its instructions and answers are
    /// noise, but read as KnowledgeSG reads a continuation): all six arms, the table and the privacy ledger, printed
    /// and written, and the ledger's ε is the DP client's.
    /// </summary>
    [Fact]
    public void ExperimentKnowledgesgPrintsAndWritesItsTableAndPrivacyLedger()
    {
        using var temp = new TempDirectory();
        string model = CliProcess.InitTinyModel(temp.File("model"));
        string records = temp.File("records.jsonl");
        SyntheticDatasetWriter.Write(records, DemoTasks.Generate(48, seed: 4).Select(e =>
            new SyntheticExample(e.Conversation.Turns[0].Content, e.Conversation.FinalResponse!, Origin: null)));
        string config = temp.File("knowledgesg.yaml");
        File.WriteAllText(config, $"""
            name: smoke
            output_directory: {temp.File("experiments")}
            private:
              path: {records}
              take: 20
            professional:
              path: {records}
              skip: 20
              take: 20
            seeds: {records}
            knowledgesg:
              prompts: 3
              shots: 1
              sampling:
                max_new_tokens: 8
              answer_sampling:
                max_new_tokens: 8
            run:
              seed: 3
              model:
                path: {model}
              data:
                template: chatml
                held_out_fraction: 0.25
              rounds: 1
              lora:
                rank: 2
                alpha: 4
                dropout: 0
                targets: q_proj,v_proj
              training:
                max_steps: 2
                batch_size: 2
                max_sequence_length: 64
              privacy:
                mode: dp_sgd
                target_epsilon: 8
                delta: 0.0001
                clip_norm: 1.0
              evaluation:
                max_examples: 4
                max_accuracy_examples: 0
                max_test_accuracy_examples: 0
            """);
        var result = CliProcess.Run("experiment", "knowledgesg", "--config", config);
        Assert.True(result.ExitCode == 0, result.Stderr);
        string[] arms =
        [
            "base model", "professional model (public domain data; reference)", "non-private local fine-tuning", "DP fine-tuning only (ε = ",
            "server synthesis from the base model (no DP adapter)", "KnowledgeSG (DP adapter → instructions → professional answers)",
        ];
        Assert.All(arms, arm => Assert.Contains(arm, result.Stdout));
        Assert.Contains("## Privacy ledger", result.Stdout);

        string folder = temp.File("experiments/smoke");
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "results.json")))!;
        Assert.Equal(arms.Length, json["rows"]!.AsArray().Count);
        Assert.All(arms.Zip(json["rows"]!.AsArray()), p => Assert.StartsWith(p.First, p.Second!["arm"]!.GetValue<string>()));
        // Every arm is scored on the same 5 held-out private records; the synthesis arms trained on what they generated.
        Assert.All(json["rows"]!.AsArray(), r => Assert.NotNull(r!["values"]![0]));
        Assert.Contains("## Privacy ledger", File.ReadAllText(Path.Combine(folder, "results.md")));
        var ledger = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "privacy-ledger.json")))!.AsArray();
        double epsilon = ledger.Single(e => e!["artefact"]!.GetValue<string>() == "DP LoRA adapter")!["epsilon"]!.GetValue<double>();
        Assert.InRange(epsilon, 7.5, 8.0);
        Assert.All(ledger.Where(e => e!["from"]!.GetValue<string>().StartsWith("server", StringComparison.Ordinal)),
            e => Assert.Equal(epsilon, e!["epsilon"]!.GetValue<double>()));
    }
}
