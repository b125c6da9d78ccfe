using System.Text;
using FedLlm.Tests.Infrastructure;

namespace FedLlm.Tests.Cli;

/// <summary>Bad model folders give one clear line on stderr naming the file and the problem, and a non-zero exit.</summary>
public class CliErrorTests : IClassFixture<CliErrorTests.TinyModelFixture>
{
    private readonly TinyModelFixture _fixture;

    public CliErrorTests(TinyModelFixture fixture) => _fixture = fixture;

    public sealed class TinyModelFixture : IDisposable
    {
        public TempDirectory Temp { get; } = new();
        public string Model { get; }

        public TinyModelFixture()
        {
            Model = CliProcess.InitTinyModel(Temp.File("tiny"));
        }

        /// <summary>A copy of the good model that a test may break.</summary>
        public string Copy(string name)
        {
            string target = Temp.File(name);
            Directory.CreateDirectory(target);
            foreach (string file in Directory.GetFiles(Model)) File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
            return target;
        }

        public void Dispose() => Temp.Dispose();
    }

    internal static void AssertOneLineError(CliProcess.Result result, params string[] mustContain)
    {
        Assert.NotEqual(0, result.ExitCode);
        string[] lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("error: ", lines[0]);
        foreach (string text in mustContain) Assert.True(lines[0].Contains(text, StringComparison.Ordinal), $"\"{text}\" not in: {lines[0]}");
        Assert.DoesNotContain("   at ", result.Stderr);
    }

    private CliProcess.Result Generate(string model, params string[] extra) =>
        CliProcess.Run(["generate", "--model", model, "--prompt", "hi", "-n", "2", .. extra]);

    [Fact]
    public void MissingConfigIsNamed()
    {
        string model = _fixture.Copy("no-config");
        File.Delete(Path.Combine(model, "config.json"));
        AssertOneLineError(Generate(model), "config.json", "missing");
    }

    [Fact]
    public void UnknownArchitectureListsTheSupportedOnes()
    {
        string model = _fixture.Copy("gpt2");
        string config = Path.Combine(model, "config.json");
        File.WriteAllText(config, File.ReadAllText(config).Replace("LlamaForCausalLM", "GPT2LMHeadModel"));
        AssertOneLineError(Generate(model), "config.json", "GPT2LMHeadModel", "LlamaForCausalLM");
    }

    [Fact]
    public void MissingTokenizerNamesWhatWasLookedFor()
    {
        string model = _fixture.Copy("no-tokenizer");
        File.Delete(Path.Combine(model, "tokenizer.json"));
        AssertOneLineError(Generate(model), "tokenizer.json", "tokenizer.model");
    }

    [Fact]
    public void BadSafetensorsHeaderLengthIsNamed()
    {
        string model = _fixture.Copy("bad-header");
        string weights = Path.Combine(model, "model.safetensors");
        using (var stream = File.OpenWrite(weights)) stream.Write(BitConverter.GetBytes(ulong.MaxValue / 2));
        AssertOneLineError(Generate(model), "model.safetensors", "header");
    }

    [Fact]
    public void TruncatedSafetensorsIsNamed()
    {
        string model = _fixture.Copy("truncated");
        string weights = Path.Combine(model, "model.safetensors");
        using (var stream = File.OpenWrite(weights)) stream.SetLength(stream.Length - 100);
        AssertOneLineError(Generate(model), "model.safetensors");
    }

    [Fact]
    public void ShapeMismatchNamesTheTensor()
    {
        string model = _fixture.Copy("shape");
        string config = Path.Combine(model, "config.json");
        File.WriteAllText(config, File.ReadAllText(config).Replace("\"intermediate_size\": 176", "\"intermediate_size\": 180"));
        AssertOneLineError(Generate(model), "model.safetensors", "gate_proj", "shape");
    }

    [Fact]
    public void TensorMissingFromAShardIsNamed()
    {
        string model = _fixture.Copy("sharded");
        // An index that promises a tensor the single shard does not hold.
        File.Move(Path.Combine(model, "model.safetensors"), Path.Combine(model, "model-00001-of-00001.safetensors"));
        using var weights = FedLlm.Models.SafeTensors.SafeTensorsFile.Open(Path.Combine(model, "model-00001-of-00001.safetensors"));
        var map = weights.Tensors.Keys.Append("model.layers.9.mlp.up_proj.weight")
            .Select(k => $"\"{k}\": \"model-00001-of-00001.safetensors\"");
        File.WriteAllText(Path.Combine(model, "model.safetensors.index.json"), "{\"metadata\": {}, \"weight_map\": {" + string.Join(", ", map) + "}}", Encoding.UTF8);
        AssertOneLineError(Generate(model), "model.layers.9.mlp.up_proj.weight");
    }

    [Fact]
    public void VerboseAddsTheStackTrace()
    {
        string model = _fixture.Copy("verbose");
        File.Delete(Path.Combine(model, "config.json"));
        var result = Generate(model, "--verbose");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("   at ", result.Stderr);
    }

    [Theory]
    [InlineData("convert", "llama2c")]
    [InlineData("init")]
    [InlineData("generate")]
    [InlineData("score")]
    [InlineData("simulate")]
    [InlineData("train")]
    [InlineData("export")]
    [InlineData("demo")]
    [InlineData("partition")]
    [InlineData("report")]
    public void EveryVerbHasHelp(params string[] verb)
    {
        var result = CliProcess.Run([.. verb, "--help"]);
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("Usage:", result.Stdout);
        Assert.Contains(verb[^1], result.Stdout);
    }
}
