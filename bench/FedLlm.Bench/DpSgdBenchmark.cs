using System.Text.Json.Nodes;
using FedLlm.Models.Llama;
using FedLlm.Models.Lora;
using FedLlm.Training.Examples;
using FedLlm.Training.Optimization;
using FedLlm.Training.Privacy;
using FedLlm.Training.Sft;
using TorchSharp;
using static TorchSharp.torch;

namespace FedLlm.Bench;

/// <summary>
/// Cost of sample-level DP-SGD on LoRA: one private step (per-example gradients from one backward pass, clipping,
/// noise, AdamW) against a non-private SFT step on the same batch and model, plus the naive alternative of one
/// backward pass per example that the tap-based path avoids.
/// </summary>
public static class DpSgdBenchmark
{
    public const int Batch = 8;
    public const int Length = 128;
    public const int Rank = 8;

    public static JsonObject Run(string[] args)
    {
        torch.set_num_threads(Environment.ProcessorCount);
        var config = RuntimeBenchmark.FixedConfig();
        using var model = new CausalLm(config, ScalarType.Float32);
        model.InitialiseRandom(new Generator(1));
        var adapters = LoraAdapterSet.Attach(model, new LoraConfig { Rank = Rank, Alpha = 16, Dropout = 0, TargetModules = LoraConfig.AllLinearModules }, seed: 2);
        var batch = RandomBatch();
        var options = new TrainerOptions { LearningRate = 1e-4, BatchSize = Batch, MaxSteps = 1, MaxGradNorm = 1.0, Seed = 3 };

        using var sft = new SftTrainer(model, adapters.Parameters.Select(p => p.Parameter).ToList(), options, padId: 0);
        using var dp = new DpSgdTrainer(adapters, options, new DpSgdOptions { NoiseMultiplier = 1.0, MaxGradNorm = 1.0 }, padId: 0);
        double[] seconds = Measure.InterleavedMinimumSeconds(
        [
            () => sft.Train(batch),
            () => dp.Step(batch, Batch, 1e-4),
            () =>
            {
                using var g = PerExampleGradients.Compute(adapters, batch, 0);
                g.Clip(1.0);
            },
            () => NaivePerExample(model, adapters, batch),
        ], warmup: 1, repeats: 7);
        double sftSeconds = seconds[0], dpSeconds = seconds[1], perExampleSeconds = seconds[2], naiveSeconds = seconds[3];

        long loraParameters = adapters.Parameters.Sum(p => p.Parameter.numel());
        return new JsonObject
        {
            ["benchmark"] = "dpsgd",
            ["model"] = new JsonObject
            {
                ["preset"] = RuntimeBenchmark.PresetName, ["hidden"] = config.HiddenSize, ["layers"] = config.NumHiddenLayers, ["vocab"] = RuntimeBenchmark.VocabSize,
                ["lora_rank"] = Rank, ["lora_targets"] = "all-linear", ["lora_parameters"] = loraParameters,
            },
            ["batch"] = Batch,
            ["sequence_length"] = Length,
            ["threads"] = torch.get_num_threads(),
            ["timing"] = "minimum of 7 interleaved repeats",
            ["non_private_step_seconds"] = Math.Round(sftSeconds, 4),
            ["dp_sgd_step_seconds"] = Math.Round(dpSeconds, 4),
            ["dp_sgd_relative_cost"] = Math.Round(dpSeconds / sftSeconds, 3),
            ["per_example_gradients_and_clip_seconds"] = Math.Round(perExampleSeconds, 4),
            ["naive_one_backward_per_example_seconds"] = Math.Round(naiveSeconds, 4),
            ["speedup_over_naive_per_example"] = Math.Round(naiveSeconds / perExampleSeconds, 2),
            ["per_example_gradient_megabytes"] = Math.Round(Batch * loraParameters * 4.0 / (1 << 20), 2),
        };
    }

    private static List<TokenizedExample> RandomBatch()
    {
        var random = new Random(5);
        return Enumerable.Range(0, Batch).Select(_ =>
        {
            var ids = Enumerable.Range(0, Length).Select(_ => random.Next(3, RuntimeBenchmark.VocabSize)).ToArray();
            return new TokenizedExample(ids, ids.ToArray());
        }).ToList();
    }

    /// <summary>What the tap avoids: a forward and backward pass per example to get its gradient.</summary>
    private static void NaivePerExample(CausalLm model, LoraAdapterSet adapters, IReadOnlyList<TokenizedExample> batch)
    {
        var parameters = adapters.Parameters.Select(p => p.Parameter).ToList();
        foreach (var example in batch)
        {
            using var scope = NewDisposeScope();
            foreach (var p in parameters) p.grad?.zero_();
            var (inputs, labels) = BatchCollator.Collate([example], 0);
            PerExampleLoss.Compute(model, inputs, labels).sum().backward();
            double norm = 0;
            foreach (var p in parameters) norm += p.grad!.pow(2).sum().item<float>();
            _ = Math.Sqrt(norm);
        }
    }
}
