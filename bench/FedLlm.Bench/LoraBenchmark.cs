using System.Text.Json.Nodes;
using FedLlm.Models.Llama;
using FedLlm.Models.Lora;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FedLlm.Bench;

/// <summary>
/// LoRA SFT training throughput (forward + backward + AdamW step on the adapters) on the runtime benchmark's model shape,
/// over an fp32 and a bf16 base, set against full-parameter fp32 training (forward + backward + AdamW on every weight)
/// measured in the same run. Tokens/s counts every input position of the batch.
/// </summary>
public static class LoraBenchmark
{
    public const int Batch = 4;
    public const int Length = 128;
    public static readonly LoraConfig Adapter = new() { Rank = 8, Alpha = 16, Dropout = 0.05, TargetModules = LoraConfig.AllLinearModules };

    public static JsonObject Run(string[] args)
    {
        torch.set_num_threads(Environment.ProcessorCount);
        var config = RuntimeBenchmark.FixedConfig();
        var result = new JsonObject
        {
            ["benchmark"] = "lora",
            ["model"] = new JsonObject
            {
                ["preset"] = RuntimeBenchmark.PresetName, ["hidden"] = config.HiddenSize, ["layers"] = config.NumHiddenLayers,
                ["heads"] = config.NumAttentionHeads, ["kv_heads"] = config.NumKeyValueHeads, ["vocab"] = RuntimeBenchmark.VocabSize,
            },
            ["lora"] = new JsonObject { ["rank"] = Adapter.Rank, ["alpha"] = Adapter.Alpha, ["targets"] = "all-linear" },
            ["batch"] = Batch,
            ["sequence_length"] = Length,
            ["threads"] = torch.get_num_threads(),
        };
        var full = Full(config);
        var fp32 = Lora(config, ScalarType.Float32);
        var bf16 = Lora(config, ScalarType.BFloat16);
        // Dropout draws a mask over every adapter input: measured apart to show what it costs.
        var noDropout = Lora(config, ScalarType.Float32, dropout: 0);
        double fullTokensPerSecond = full["tokens_per_s"]!.GetValue<double>();
        fp32["speed_vs_full_fp32"] = Math.Round(fp32["tokens_per_s"]!.GetValue<double>() / fullTokensPerSecond, 3);
        bf16["speed_vs_full_fp32"] = Math.Round(bf16["tokens_per_s"]!.GetValue<double>() / fullTokensPerSecond, 3);
        noDropout["speed_vs_full_fp32"] = Math.Round(noDropout["tokens_per_s"]!.GetValue<double>() / fullTokensPerSecond, 3);
        result["full_fp32"] = full;
        result["lora_fp32_base"] = fp32;
        result["lora_bf16_base"] = bf16;
        result["lora_fp32_base_no_dropout"] = noDropout;
        result["openmp_wait_policy"] = WaitPolicies();
        return result;
    }

    /// <summary>Child suite: the fp32-base LoRA step alone, under whatever OMP_WAIT_POLICY this process started with.</summary>
    public const string WaitPolicyChild = "lora-step";

    private const string WaitPolicyVariable = "OMP_WAIT_POLICY";

    public static JsonObject RunStep(string[] args)
    {
        torch.set_num_threads(Environment.ProcessorCount);
        var step = Lora(RuntimeBenchmark.FixedConfig(), ScalarType.Float32);
        step["omp_wait_policy"] = Environment.GetEnvironmentVariable(WaitPolicyVariable) is { Length: > 0 } policy ? policy : "default";
        return step;
    }

    /// <summary>
    /// The same step in fresh processes under libgomp's default wait (spin a while, then sleep: what FedLlm runs with),
    /// passive waiting and endless spinning, alternated twice, fastest kept: the policy is read once when libtorch loads.
    /// </summary>
    private static JsonObject WaitPolicies()
    {
        string?[] policies = [null, "PASSIVE", "ACTIVE"];
        var best = new double[policies.Length];
        for (int repeat = 0; repeat < 2; repeat++)
            for (int p = 0; p < policies.Length; p++)
            {
                // An empty value leaves libgomp on its default, whatever the parent's environment holds.
                var environment = new Dictionary<string, string> { [WaitPolicyVariable] = policies[p] ?? "" };
                var child = ChildBenchmark.Run(WaitPolicyChild, [], environment);
                best[p] = Math.Max(best[p], child["tokens_per_s"]!.GetValue<double>());
            }
        return new JsonObject
        {
            ["default_tokens_per_s"] = best[0],
            ["passive_tokens_per_s"] = best[1],
            ["active_tokens_per_s"] = best[2],
        };
    }

    private static JsonObject Lora(ModelConfig config, ScalarType dtype, double? dropout = null)
    {
        using var model = new CausalLm(config, dtype);
        model.InitialiseRandom(new Generator(1));
        var adapters = AttachTrainingAdapters(model, dropout ?? Adapter.Dropout);
        var trainable = adapters.Parameters.Select(p => p.Parameter).ToList();
        var result = Measure(model, trainable);
        result["trainable_parameters"] = trainable.Sum(p => p.numel());
        result["base_dtype"] = dtype == ScalarType.BFloat16 ? "bfloat16" : "float32";
        result["lora_dropout"] = adapters.Config.Dropout;
        return result;
    }

    /// <summary>
    /// Attaches <see cref="Adapter"/> (with <paramref name="dropout"/>) in training mode, with B drawn from N(0, 0.01)
    /// rather than zeros so every adapter carries gradient to A, as after the first real step.
    /// </summary>
    public static LoraAdapterSet AttachTrainingAdapters(CausalLm model, double dropout)
    {
        var adapters = LoraAdapterSet.Attach(model, Adapter with { Dropout = dropout }, seed: 2);
        adapters.Training = true;
        using (var noGrad = no_grad())
            foreach (var (name, p) in adapters.Parameters)
                if (name.EndsWith("lora_B.weight", StringComparison.Ordinal)) p.normal_(0, 0.01);
        return adapters;
    }

    private static JsonObject Full(ModelConfig config)
    {
        using var model = new CausalLm(config, ScalarType.Float32);
        model.InitialiseRandom(new Generator(1));
        var trainable = model.parameters().ToList();
        var result = Measure(model, trainable);
        result["trainable_parameters"] = trainable.Sum(p => p.numel());
        result["base_dtype"] = "float32";
        return result;
    }

    private static JsonObject Measure(CausalLm model, IReadOnlyList<Parameter> trainable)
    {
        foreach (var p in trainable) p.requires_grad = true;
        using var optimizer = optim.AdamW(trainable, 1e-4);
        using var generator = new Generator(5);
        using var ids = randint(3, model.Config.VocabSize, [Batch, Length], dtype: ScalarType.Int64, generator: generator);
        double seconds = Bench.Measure.MedianSeconds(() => Step(model, optimizer, ids), warmup: 2, repeats: 5);
        return new JsonObject
        {
            ["step_seconds"] = Math.Round(seconds, 4),
            ["tokens_per_s"] = Math.Round(Batch * Length / seconds, 1),
        };
    }

    private static void Step(CausalLm model, optim.Optimizer optimizer, Tensor ids)
    {
        using var scope = NewDisposeScope();
        optimizer.zero_grad();
        var logits = model.Forward(ids.narrow(1, 0, Length - 1));
        var loss = nn.functional.cross_entropy(logits.view(-1, logits.shape[2]), ids.narrow(1, 1, Length - 1).flatten());
        loss.backward();
        optimizer.step();
    }
}
