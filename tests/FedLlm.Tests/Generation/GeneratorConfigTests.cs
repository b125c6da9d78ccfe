using FedLlm.Cli.Configuration;
using FedLlm.Generation;
using FedLlm.Generation.Local;
using FedLlm.Tests.Cli;
using FedLlm.Tests.Infrastructure;

namespace FedLlm.Tests.Generation;

public class GeneratorConfigTests
{
    /// <summary>How another issue's config embeds a generator: a section of its own under any key.</summary>
    public sealed record JudgedRun
    {
        public string Name { get; init; } = "run";
        public GeneratorSection Judge { get; init; } = new();
    }

    [Fact]
    public void AGeneratorSectionReadsFromYamlAndEveryKeyIsAFlag()
    {
        using var temp = new TempDirectory();
        string path = temp.File("run.yaml");
        File.WriteAllText(path, "judge:\n  endpoint: http://127.0.0.1:11434/v1\n  model: llama3.1:8b\n  api_key_env: JUDGE_KEY\n  cache_dir: cache\n");
        var run = ConfigLoader.Load<JudgedRun>(path, ["judge.max_concurrency=2", "judge.timeout_seconds=30"]);
        Assert.Equal("http://127.0.0.1:11434/v1", run.Judge.Endpoint);
        Assert.Equal("llama3.1:8b", run.Judge.Model);
        Assert.Equal("JUDGE_KEY", run.Judge.ApiKeyEnv);
        Assert.Equal(2, run.Judge.MaxConcurrency);
        Assert.Equal(30, run.Judge.TimeoutSeconds);
        Assert.Empty(run.Judge.Validate("judge."));
    }

    [Fact]
    public void AMistypedGeneratorKeyIsAnErrorListingTheValidOnes()
    {
        using var temp = new TempDirectory();
        string path = temp.File("run.yaml");
        File.WriteAllText(path, "judge:\n  endpoint: http://127.0.0.1:8000/v1\n  api_key: sk-secret\n");
        var error = Assert.Throws<ArgumentException>(() => ConfigLoader.Load<JudgedRun>(path, []));
        Assert.Contains("judge.api_key", error.Message);
        Assert.Contains("api_key_env", error.Message);
    }

    [Fact]
    public void ValidationNamesEachBadKey()
    {
        Assert.Contains(new GeneratorSection().Validate("judge."), p => p.Contains("judge.model_path") && p.Contains("judge.endpoint"));
        Assert.Contains(new GeneratorSection { ModelPath = "m", Endpoint = "http://x/v1", Model = "x" }.Validate(), p => p.Contains("not both"));
        var endpoint = new GeneratorSection { Endpoint = "ftp://host", MaxConcurrency = 0, MaxRetries = -1 }.Validate();
        Assert.Contains(endpoint, p => p.Contains("generator.endpoint must be an http(s) URL"));
        Assert.Contains(endpoint, p => p.Contains("generator.model is required"));
        Assert.Contains(endpoint, p => p.Contains("generator.max_concurrency"));
        Assert.Contains(endpoint, p => p.Contains("generator.max_retries"));
        Assert.Contains(new GeneratorSection { ModelPath = "m", Template = "nonsense", Dtype = "float16" }.Validate(), p => p.Contains("generator.dtype"));
    }

    [Fact]
    public void AnApiKeyVariableThatIsNotSetIsAClearError()
    {
        var error = Assert.Throws<ArgumentException>(() => Generators.Create(new GeneratorSection
        {
            Endpoint = "http://127.0.0.1:9/v1", Model = "m", ApiKeyEnv = "FEDLLM_TEST_UNSET_" + Guid.NewGuid().ToString("N"),
        }));
        Assert.Contains("FEDLLM_TEST_UNSET_", error.Message);
        Assert.Contains("not set", error.Message);
    }

    [Theory]
    [InlineData("{% for m in messages %}<|im_start|>{{ m.role }}\\n{{ m.content }}<|im_end|>{% endfor %}", "chatml")]
    [InlineData("{{ '<|start_header_id|>' + m.role + '<|end_header_id|>' }}", "llama-3")]
    [InlineData("{{ m.content }}", null)]
    public void AModelsOwnChatTemplateIsRecognisedByItsMarkers(string jinja, string? expected)
    {
        using var temp = new TempDirectory();
        File.WriteAllText(temp.File("tokenizer_config.json"), "{\"chat_template\": \"" + jinja.Replace("\"", "\\\"") + "\"}");
        Assert.Equal(expected, ModelTemplates.Detect(temp.Path));
    }

    [Fact]
    public void ServeRejectsBadInputWithOneLine()
    {
        using var temp = new TempDirectory();
        CliErrorTests.AssertOneLineError(CliProcess.Run("serve", "--model", temp.File("missing")), "missing");
        CliErrorTests.AssertOneLineError(CliProcess.Run("serve", "--model", temp.Path, "--adapter", "no-equals-sign"), "NAME=DIR");
        CliErrorTests.AssertOneLineError(CliProcess.Run("serve", "--model", temp.Path, "--adapter", "a=" + temp.File("nope")), "does not exist");
    }
}
