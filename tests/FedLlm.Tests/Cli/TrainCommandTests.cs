using FedLlm.Models;
using FedLlm.Models.Lora;
using FedLlm.Models.SafeTensors;
using FedLlm.Tests.Infrastructure;
using static TorchSharp.torch;

namespace FedLlm.Tests.Cli;

/// <summary>`fedllm train` and `fedllm export` as separate processes on a tiny random model and generated data.</summary>
public class TrainCommandTests : IClassFixture<CliErrorTests.TinyModelFixture>
{
    private readonly CliErrorTests.TinyModelFixture _fixture;

    public TrainCommandTests(CliErrorTests.TinyModelFixture fixture) => _fixture = fixture;

    private static void AssertOneLineError(CliProcess.Result result, params string[] mustContain) =>
        CliErrorTests.AssertOneLineError(result, mustContain);

    [Fact]
    public void TrainWritesAdapterMetricsAndLossPlot()
    {
        using var temp = new TempDirectory();
        string data = TrainingFiles.WriteReverseTask(temp.File("data.jsonl"), 40);
        string output = temp.File("out");
        string config = TrainingFiles.WriteConfig(temp.File("train.yaml"), _fixture.Model, data, output, steps: 10);

        var result = CliProcess.Run("train", "--config", config);
        Assert.True(result.ExitCode == 0, result.Stderr);

        Assert.True(File.Exists(Path.Combine(TrainingFiles.Adapter(output), "adapter_config.json")));
        Assert.True(File.Exists(Path.Combine(TrainingFiles.Adapter(output), "adapter_model.safetensors")));
        Assert.True(File.Exists(Path.Combine(output, "config.json")), "the run folder keeps the config it ran with");
        var steps = TrainingFiles.MetricLines(output, "step");
        Assert.Equal(Enumerable.Range(1, 10), steps.Select(s => s["step"]!.GetValue<int>()));
        foreach (var step in steps)
        {
            foreach (string key in new[] { "loss", "lr", "grad_norm" }) Assert.True(double.IsFinite(step[key]!.GetValue<double>()), key);
            Assert.True(step["tokens"]!.GetValue<long>() > 0);
        }
        Assert.Equal(0.01, steps[0]["lr"]!.GetValue<double>(), 12); // cosine schedule starts at the peak
        Assert.True(steps[^1]["lr"]!.GetValue<double>() < 0.01);
        var evaluations = TrainingFiles.MetricLines(output, "eval");
        Assert.Equal(new[] { 0, 4, 8, 10 }, evaluations.Select(e => e["step"]!.GetValue<int>()));
        Assert.True(evaluations[^1]["held_out_loss"]!.GetValue<double>() < evaluations[0]["held_out_loss"]!.GetValue<double>());

        byte[] png = File.ReadAllBytes(Path.Combine(output, "loss.png"));
        Assert.True(png.Length > 1000, $"{png.Length} bytes");
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
        Assert.Equal([SafeTensorDType.Float32], TrainingFiles.AdapterDTypes(output));
    }

    [Fact]
    public void OnBadRowFailExitsNamingFileAndLine()
    {
        using var temp = new TempDirectory();
        string data = TrainingFiles.WriteReverseTask(temp.File("data.jsonl"), 20, badLines: 7);
        string output = temp.File("out");
        string config = TrainingFiles.WriteConfig(temp.File("train.yaml"), _fixture.Model, data, output);

        AssertOneLineError(CliProcess.Run("train", "--config", config, "--on-bad-row", "fail"), "data.jsonl:7");
        Assert.False(Directory.Exists(output), "nothing is written when the data is rejected");
    }

    [Fact]
    public void OnBadRowSkipTrainsAndCountsWhatWasSkipped()
    {
        using var temp = new TempDirectory();
        string data = TrainingFiles.WriteReverseTask(temp.File("data.jsonl"), 20, badLines: [3, 12]);
        string output = temp.File("out");
        string config = TrainingFiles.WriteConfig(temp.File("train.yaml"), _fixture.Model, data, output, steps: 2);

        var result = CliProcess.Run("train", "--config", config, "--on-bad-row", "skip");
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("data.jsonl:3", result.Stderr);
        Assert.Contains("data.jsonl:12", result.Stderr);
        Assert.Contains("skipped 2 malformed rows of 22", result.Stderr);
        Assert.Equal(2, TrainingFiles.MetricLines(output, "step").Length);
    }

    [Fact]
    public void UnknownConfigKeyFailsWithOneLineBeforeTraining()
    {
        using var temp = new TempDirectory();
        string data = TrainingFiles.WriteReverseTask(temp.File("data.jsonl"), 20);
        string output = temp.File("out");
        string config = TrainingFiles.WriteConfig(temp.File("train.yaml"), _fixture.Model, data, output, 8, "lora_rank: 4");

        AssertOneLineError(CliProcess.Run("train", "--config", config), "train.yaml", "unknown config key 'lora_rank'", "output_directory");
        AssertOneLineError(CliProcess.Run("train", "--config", config.Replace("train.yaml", "missing.yaml")), "missing.yaml");
        string good = TrainingFiles.WriteConfig(temp.File("good.yaml"), _fixture.Model, data, output);
        AssertOneLineError(CliProcess.Run("train", "--config", good, "--lora.rnak", "4"), "unknown config key 'lora.rnak'", "rank");
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public void BadValuesAreAllListedBeforeTheModelLoads()
    {
        using var temp = new TempDirectory();
        string data = TrainingFiles.WriteReverseTask(temp.File("data.jsonl"), 20);
        string config = TrainingFiles.WriteConfig(temp.File("train.yaml"), temp.File("no-such-model"), data, temp.File("out"));

        AssertOneLineError(CliProcess.Run("train", "--config", config, "--lora.rank", "0", "--set", "training.schedule=zigzag", "--trainable", "some"),
            "model.path", "no-such-model", "rank", "zigzag", "trainable");
    }

    [Fact]
    public void Bf16BaseTrainsWithFp32Adapters()
    {
        using var temp = new TempDirectory();
        string data = TrainingFiles.WriteReverseTask(temp.File("data.jsonl"), 24);
        string output = temp.File("out");
        string config = TrainingFiles.WriteConfig(temp.File("train.yaml"), _fixture.Model, data, output, steps: 4);

        var result = CliProcess.Run("train", "--config", config, "--model.dtype", "bfloat16");
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Equal([SafeTensorDType.Float32], TrainingFiles.AdapterDTypes(output));
        Assert.All(TrainingFiles.MetricLines(output, "step"), s => Assert.True(double.IsFinite(s["loss"]!.GetValue<double>())));
        Assert.True(TrainingFiles.MetricLines(output, "step")[^1]["grad_norm"]!.GetValue<double>() > 0);
    }

    [Fact]
    public void DpoLogsRewardsMarginsAndAccuracy()
    {
        using var temp = new TempDirectory();
        string data = TrainingFiles.WritePreferences(temp.File("pairs.jsonl"), 24);
        string output = temp.File("out");
        string config = TrainingFiles.WriteConfig(temp.File("train.yaml"), _fixture.Model, data, output, 6, "method: dpo", "dpo:", "  beta: 0.2");

        var result = CliProcess.Run("train", "--config", config, "--training.max-sequence-length", "96");
        Assert.True(result.ExitCode == 0, result.Stderr);
        var steps = TrainingFiles.MetricLines(output, "step");
        Assert.Equal(6, steps.Length);
        foreach (string key in new[] { "rewards/chosen", "rewards/rejected", "rewards/margins", "rewards/accuracies", "grad_norm" })
            Assert.True(double.IsFinite(steps[^1][key]!.GetValue<double>()), key);
        Assert.Equal(0, steps[0]["rewards/margins"]!.GetValue<double>(), 4); // policy == reference before the first update
        var evaluations = TrainingFiles.MetricLines(output, "eval");
        Assert.True(evaluations[^1]["rewards/margins"]!.GetValue<double>() > evaluations[0]["rewards/margins"]!.GetValue<double>());
    }

    [Fact]
    public void FullParameterTrainingWritesALoadableModelFolder()
    {
        using var temp = new TempDirectory();
        string data = TrainingFiles.WriteReverseTask(temp.File("data.jsonl"), 24);
        string output = temp.File("out");
        string config = TrainingFiles.WriteConfig(temp.File("train.yaml"), _fixture.Model, data, output, 3, "trainable: full");

        var result = CliProcess.Run("train", "--config", config, "--training.learning-rate", "0.001");
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.False(Directory.Exists(TrainingFiles.Adapter(output)));
        string modelFolder = Path.Combine(output, "model");
        using var trained = SafeTensorsFile.Open(Path.Combine(modelFolder, "model.safetensors"));
        using var original = SafeTensorsFile.Open(Path.Combine(_fixture.Model, "model.safetensors"));
        Assert.Equal(original.Tensors.Keys.Order(), trained.Tensors.Keys.Order());
        using var before = original.ReadTensor("model.layers.0.mlp.up_proj.weight");
        using var after = trained.ReadTensor("model.layers.0.mlp.up_proj.weight");
        Assert.True((before - after).abs().max().item<float>() > 1e-5, "every parameter is trained");
        Assert.Equal(0, CliProcess.Run("generate", "--model", modelFolder, "--prompt", "reverse: cat", "-n", "3").ExitCode);
    }

    [Fact]
    public void ExportedFolderGivesTheLogitsOfBasePlusAdapter()
    {
        using var temp = new TempDirectory();
        string data = TrainingFiles.WriteReverseTask(temp.File("data.jsonl"), 24);
        string run = temp.File("run");
        string adapter = TrainingFiles.Adapter(run);
        string merged = temp.File("merged");
        string config = TrainingFiles.WriteConfig(temp.File("train.yaml"), _fixture.Model, data, run, 6);
        var trained = CliProcess.Run("train", "--config", config, "--lora.targets", "q_proj,v_proj,down_proj", "--training.learning-rate", "0.05");
        Assert.True(trained.ExitCode == 0, trained.Stderr);

        var exported = CliProcess.Run("export", "--model", _fixture.Model, "--adapter", adapter, "--out", merged);
        Assert.True(exported.ExitCode == 0, exported.Stderr);
        foreach (string file in new[] { "config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json" })
            Assert.True(File.Exists(Path.Combine(merged, file)), file);

        using var ids = tensor(new long[] { 5, 40, 17, 99, 3, 250, 12, 8 }).unsqueeze(0);
        using var baseModel = PretrainedModel.Load(_fixture.Model);
        using var baseLogits = baseModel.Model.Forward(ids);
        LoraAdapterSet.Load(baseModel.Model, adapter);
        using var adapted = baseModel.Model.Forward(ids);
        using var mergedModel = PretrainedModel.Load(merged);
        using var mergedLogits = mergedModel.Model.Forward(ids);

        double diff = (adapted - mergedLogits).abs().max().item<float>();
        Assert.True(diff < 1e-4, $"max abs diff {diff}");
        Assert.True((adapted - baseLogits).abs().max().item<float>() > 1e-3, "the adapter changed the model");
        Assert.Equal(0, CliProcess.Run("generate", "--model", merged, "--prompt", "reverse: cat", "-n", "3").ExitCode);
        AssertOneLineError(CliProcess.Run("export", "--model", _fixture.Model, "--adapter", adapter, "--out", merged), "not empty");
    }

    [Fact]
    public void SimulateAcceptsTheBadRowChoice()
    {
        using var temp = new TempDirectory();
        string data = TrainingFiles.WriteReverseTask(temp.File("data.jsonl"), 20, badLines: 4);
        AssertOneLineError(CliProcess.Run("simulate", "--model.path", _fixture.Model, "--data.path", data, "--data.on-bad-row", "maybe"),
            "data.on_bad_row", "maybe");
        AssertOneLineError(CliProcess.Run("simulate", "--model.path", _fixture.Model, "--data.path", data, "--on-bad-row", "fail",
            "--output-directory", temp.File("runs")), "data.jsonl:4");
    }
}
