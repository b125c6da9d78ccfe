using System.Text.Json.Nodes;
using FedLlm.Models.Llama;
using FedLlm.Models.Presets;
using TorchSharp;
using static TorchSharp.torch;

namespace FedLlm.Bench;

/// <summary>
/// Generation and forward+backward throughput of the runtime on a fixed model shape, in fp32 and bf16, set against
/// the machine's own dense matmul throughput measured in the same run (model FLOPs utilisation, MFU).
/// </summary>
public static class RuntimeBenchmark
{
    public const string PresetName = "small";
    public const int VocabSize = 4096;

    /// <param name="args">Preset names to measure; default: the fixed config (<see cref="PresetName"/>) and "base".</param>
    public static JsonObject Run(string[] args)
    {
        torch.set_num_threads(Environment.ProcessorCount);
        var models = new JsonArray();
        foreach (string name in args.Length > 0 ? args : [PresetName, "base"])
        {
            var config = FixedConfig(name);
            var entry = new JsonObject
            {
                ["preset"] = name, ["hidden"] = config.HiddenSize, ["layers"] = config.NumHiddenLayers,
                ["heads"] = config.NumAttentionHeads, ["kv_heads"] = config.NumKeyValueHeads, ["vocab"] = VocabSize,
            };
            foreach (var dtype in new[] { ScalarType.Float32, ScalarType.BFloat16 })
                entry[dtype == ScalarType.Float32 ? "fp32" : "bf16"] = RunFor(config, dtype);
            models.Add(entry);
        }
        return new JsonObject { ["benchmark"] = "runtime", ["threads"] = torch.get_num_threads(), ["models"] = models };
    }

    /// <summary>The model shape every runtime and training benchmark measures, so their numbers compare.</summary>
    public static ModelConfig FixedConfig(string preset = PresetName) => ModelPreset.Get(preset).ToConfig(VocabSize, 1, 2, 0);

    private static JsonObject RunFor(ModelConfig config, ScalarType dtype)
    {
        using var model = new CausalLm(config, dtype);
        model.InitialiseRandom(new Generator(1));
        long parameters = model.parameters().Sum(p => p.numel());
        double peak = MatmulFlopsPerSecond(dtype);

        const int promptTokens = 16, newTokens = 128;
        double generateSeconds = Measure.MedianSeconds(() => Generate(model, promptTokens, newTokens), warmup: 1, repeats: 3);
        double generateTokensPerSecond = newTokens / generateSeconds;

        const int batch = 4, length = 128;
        foreach (var p in model.parameters()) p.requires_grad = true;
        using var generator = new Generator(5);
        using var ids = randint(3, model.Config.VocabSize, [batch, length], dtype: ScalarType.Int64, generator: generator);
        double trainSeconds = Measure.MedianSeconds(() => ForwardBackward(model, ids), warmup: 1, repeats: 3);
        double trainTokensPerSecond = batch * length / trainSeconds;

        return new JsonObject
        {
            ["parameters"] = parameters,
            ["matmul_gflops"] = Math.Round(peak / 1e9, 2),
            ["generate_tokens_per_s"] = Math.Round(generateTokensPerSecond, 1),
            // Decoding costs ~2 FLOPs per parameter per token; training ~6 (forward + backward).
            ["generate_mfu"] = Math.Round(2.0 * parameters * generateTokensPerSecond / peak, 4),
            ["forward_backward_tokens_per_s"] = Math.Round(trainTokensPerSecond, 1),
            ["forward_backward_mfu"] = Math.Round(6.0 * parameters * trainTokensPerSecond / peak, 4),
        };
    }

    /// <summary>Greedy decoding of <paramref name="newTokens"/> after the prompt 3, 4, ... on the KV-cache path; returns the ids.</summary>
    public static long[] Generate(CausalLm model, int promptTokens, int newTokens)
    {
        using var noGrad = no_grad();
        using var cache = model.CreateCache(1, promptTokens + newTokens);
        using var scope = NewDisposeScope();
        var ids = new long[newTokens];
        var prompt = arange(3, 3 + promptTokens, dtype: ScalarType.Int64).unsqueeze(0);
        var next = model.Forward(prompt, cache)[0, -1].argmax().reshape(1, 1);
        ids[0] = next.item<long>();
        for (int i = 1; i < newTokens; i++)
        {
            using var step = NewDisposeScope();
            var logits = model.Forward(next, cache);
            next = logits[0, -1].argmax().reshape(1, 1).MoveToOuterDisposeScope();
            ids[i] = next.item<long>();
        }
        return ids;
    }

    private static void ForwardBackward(CausalLm model, Tensor ids)
    {
        using var scope = NewDisposeScope();
        long length = ids.shape[1];
        var logits = model.Forward(ids.narrow(1, 0, length - 1));
        var loss = nn.functional.cross_entropy(logits.view(-1, logits.shape[2]), ids.narrow(1, 1, length - 1).flatten());
        loss.backward();
        foreach (var p in model.parameters()) p.grad?.zero_();
    }

    /// <summary>Dense square matmul throughput: the practical compute ceiling this CPU reaches through libtorch.</summary>
    public static double MatmulFlopsPerSecond(ScalarType dtype, int size = 1024)
    {
        using var scope = NewDisposeScope();
        var a = randn(size, size).to(dtype);
        var b = randn(size, size).to(dtype);
        double seconds = Measure.MedianSeconds(() => { using var c = a.matmul(b); }, warmup: 2, repeats: 7);
        return 2.0 * size * size * size / seconds;
    }
}
