using System.Text.Json.Nodes;
using FedLlm.Tests.Infrastructure;

namespace FedLlm.Tests.Cli;

public class CliRuntimeTests
{
    [Fact]
    public void InitIsDeterministicAndTheModelGeneratesAndScores()
    {
        using var temp = new TempDirectory();
        string a = temp.File("a"), b = temp.File("b");
        Assert.Equal(0, CliProcess.Run("init", a, "--preset", "tiny", "--seed", "5").ExitCode);
        Assert.Equal(0, CliProcess.Run("init", b, "--preset", "tiny", "--seed", "5").ExitCode);
        Assert.Equal(File.ReadAllBytes(Path.Combine(a, "model.safetensors")), File.ReadAllBytes(Path.Combine(b, "model.safetensors")));
        Assert.Equal(File.ReadAllText(Path.Combine(a, "tokenizer.json")), File.ReadAllText(Path.Combine(b, "tokenizer.json")));

        var generated = CliProcess.Run("generate", "--model", a, "--prompt", "reverse: cat dog", "-n", "8", "--temperature", "0.8", "--seed", "1");
        Assert.Equal(0, generated.ExitCode);
        Assert.StartsWith("reverse: cat dog", generated.Stdout);
        Assert.True(generated.Stdout.TrimEnd().Length > "reverse: cat dog".Length, "something was generated");

        File.WriteAllText(temp.File("data.txt"), "copy: cat dog\n\nuppercase: sun\n");
        var scored = CliProcess.Run("score", "--model", a, "--data", temp.File("data.txt"), "--json");
        Assert.Equal(0, scored.ExitCode);
        var json = JsonNode.Parse(scored.Stdout)!;
        Assert.Equal(2, json["overall"]!["records"]!.GetValue<int>());
        double perplexity = json["overall"]!["perplexity"]!.GetValue<double>();
        Assert.True(double.IsFinite(perplexity) && perplexity > 1, $"perplexity {perplexity}");
        Assert.Equal(3, json["records"]![1]!["line"]!.GetValue<int>());
    }

    [SharedDataFact]
    public void StoriesPerplexityOnTheSharedCorpusIsFiniteAndStable()
    {
        using var temp = new TempDirectory();
        string model = temp.File("stories");
        Assert.Equal(0, CliProcess.Run("convert", "llama2c", SharedData.PathOf("models/stories260K/stories260K.bin"),
            SharedData.PathOf("models/stories260K/tok512.bin"), model).ExitCode);
        string data = SharedData.PathOf("data/corpus/c4_demo.jsonl");
        double Perplexity()
        {
            var result = CliProcess.Run("score", "--model", model, "--data", data, "--limit", "20", "--json");
            Assert.Equal(0, result.ExitCode);
            return JsonNode.Parse(result.Stdout)!["overall"]!["perplexity"]!.GetValue<double>();
        }
        double first = Perplexity();
        Assert.True(double.IsFinite(first) && first > 1, $"perplexity {first}");
        Assert.Equal(first, Perplexity());
    }

    [SharedDataFact]
    public void StoriesGenerateCommandStreamsTheGreedyStory()
    {
        using var temp = new TempDirectory();
        string model = temp.File("stories");
        CliProcess.Run("convert", "llama2c", SharedData.PathOf("models/stories260K/stories260K.bin"), SharedData.PathOf("models/stories260K/tok512.bin"), model);
        var result = CliProcess.Run("generate", "--model", model, "--prompt", "Once upon a time", "-n", "40");
        Assert.Equal(0, result.ExitCode);
        string expected = File.ReadAllText(SharedData.PathOf("models/stories260K/expected_greedy_once_upon_a_time.txt"));
        Assert.StartsWith(result.Stdout.TrimEnd(), expected);
        Assert.True(result.Stdout.Length > 100);
    }
}
