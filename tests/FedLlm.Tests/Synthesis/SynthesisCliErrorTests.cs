using FedLlm.Tests.Infrastructure;

namespace FedLlm.Tests.Synthesis;

/// <summary>
/// Bad input to <c>fedllm synthesize</c> and <c>fedllm experiment</c>: one clear error line (no stack trace), a non-zero
/// exit, and no output file, whole or half.
/// </summary>
public class SynthesisCliErrorTests : IClassFixture<SynthesisCliErrorTests.Inputs>
{
    private readonly Inputs _inputs;

    public SynthesisCliErrorTests(Inputs inputs) => _inputs = inputs;

    /// <summary>A small corpus and pool, and a tiny random model (it writes no pair anyone could parse).</summary>
    public sealed class Inputs : IDisposable
    {
        public TempDirectory Temp { get; } = new();
        public string Corpus { get; }
        public string Pool { get; }
        public string RandomModel { get; }

        public Inputs()
        {
            Corpus = Temp.File("corpus.txt");
            File.WriteAllText(Corpus, "Fever is a raised body temperature.\nMost fevers in children are caused by viral infections.\n");
            Pool = Temp.File("pool.json");
            File.WriteAllText(Pool, "[{\"instruction\": \"What lowers a fever?\", \"input\": \"\", \"output\": \"Rest and fluids.\"}," +
                                    "{\"instruction\": \"Name a symptom of flu.\", \"input\": \"\", \"output\": \"A cough.\"}]");
            RandomModel = CliProcess.InitTinyModel(Temp.File("random-model"));
        }

        public void Dispose() => Temp.Dispose();
    }

    private CliProcess.Result U2s(string corpus, string pool, string output, params string[] generator) =>
        CliProcess.Run(["synthesize", "u2s", "--corpus", corpus, "--pool", pool, "--out", output, .. generator]);

    /// <summary>The error is one line; an info line before it (what is being generated) is allowed, nothing after.</summary>
    private static void AssertClearError(CliProcess.Result result, string output, params string[] mustContain)
    {
        Assert.NotEqual(0, result.ExitCode);
        string[] lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        string error = Assert.Single(lines, l => l.StartsWith("error: ", StringComparison.Ordinal));
        Assert.Equal(error, lines[^1]);
        foreach (string text in mustContain) Assert.True(error.Contains(text, StringComparison.Ordinal), $"\"{text}\" not in: {error}");
        Assert.DoesNotContain("   at ", result.Stderr);
        Assert.False(File.Exists(output), "an output file was written");
        string folder = Path.GetDirectoryName(output)!;
        if (Directory.Exists(folder)) Assert.Empty(Directory.GetFiles(folder, Path.GetFileName(output) + "*"));
    }

    [Fact]
    public void AnEmptyCorpus()
    {
        string empty = _inputs.Temp.File("empty.txt");
        File.WriteAllText(empty, "");
        string output = _inputs.Temp.File("out-empty.jsonl");
        AssertClearError(U2s(empty, _inputs.Pool, output, "--generator.model-path", _inputs.RandomModel), output, "empty.txt", "empty");
    }

    [Fact]
    public void APoolWithoutInstructionFields()
    {
        string output = _inputs.Temp.File("out-pool.jsonl");
        AssertClearError(U2s(_inputs.Corpus, _inputs.Corpus, output, "--generator.model-path", _inputs.RandomModel), output,
            "corpus.txt (pool)", "no instruction/response records");
    }

    [Fact]
    public void AGeneratorThatReturnsNothingParseable()
    {
        string output = _inputs.Temp.File("out-garbage.jsonl");
        // Short prompts and the plain template: the random model's context is 256 tokens.
        AssertClearError(U2s(_inputs.Corpus, _inputs.Pool, output, "--generator.model-path", _inputs.RandomModel, "--generator.template", "plain",
                "--k", "1", "--prompt", TutoredStories.Prompt("u2s-tiny.txt"), "--example-prompt", TutoredStories.Prompt("example-tiny.txt"),
                "--sampling.max-new-tokens", "8"),
            output, "u2s: the generator returned nothing usable", "unparsable");
    }

    [Fact]
    public void AnUnreachableEndpoint()
    {
        string output = _inputs.Temp.File("out-unreachable.jsonl");
        AssertClearError(U2s(_inputs.Corpus, _inputs.Pool, output, "--generator.endpoint", "http://127.0.0.1:9/v1", "--generator.model", "m",
            "--generator.max-retries", "0", "--generator.timeout-seconds", "10"), output, "the generator failed", "127.0.0.1:9");
    }

    [Fact]
    public void AnExperimentWithoutAModel()
    {
        var result = CliProcess.Run("experiment", "fedgc", "--output-directory", _inputs.Temp.File("experiments"), "--data.path", _inputs.Pool);
        AssertClearError(result, _inputs.Temp.File("experiments/fedgc/results.md"), "run.model.path is required");
    }
}
