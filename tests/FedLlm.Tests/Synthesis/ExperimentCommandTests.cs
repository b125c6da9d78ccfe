using System.Text.Json.Nodes;
using FedLlm.Data.Demo;
using FedLlm.Synthesis.Output;
using FedLlm.Tests.Infrastructure;

namespace FedLlm.Tests.Synthesis;

public class ExperimentCommandTests
{
    /// <summary>
    /// The whole command on the tiniest settings (a random model, so its generations are not parseable and FedGC adds
    /// nothing): both arms run on the same split and the table is printed and written.
    /// </summary>
    [Fact]
    public void ExperimentFedgcPrintsAndWritesItsComparisonTable()
    {
        using var temp = new TempDirectory();
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
}
