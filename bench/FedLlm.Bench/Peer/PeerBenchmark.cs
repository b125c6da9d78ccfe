using System.Diagnostics;
using System.Text.Json.Nodes;
using FedLlm.Models.Export;
using FedLlm.Models;
using FedLlm.Models.Generation;
using FedLlm.Models.Llama;
using FedLlm.Training.Examples;
using FedLlm.Training.Optimization;
using FedLlm.Training.Sft;
using TorchSharp;
using static TorchSharp.torch;

namespace FedLlm.Bench.Peer;

/// <summary>
/// FedLlm against PyTorch eager (Debian's python3-torch, <see cref="PyTorchPeer"/>) on the same random Qwen2 model of
/// Qwen2.5-0.5B's shape: LoRA SFT steps (r 8, alpha 16, dropout 0.05, all seven projections, AdamW on the adapters) in
/// fp32 at 1×256 and 2×512 tokens and over a bf16 base at 1×256, greedy decoding (16 + 128 tokens, KV cache) in fp32
/// and bf16, and a 2048³ matmul per dtype. Every FedLlm measurement alternates with the peer's, one process at a time;
/// the fastest of the repeats counts. Ratios are FedLlm's rate over PyTorch's: above 1, FedLlm is faster.
/// </summary>
public static class PeerBenchmark
{
    private const int PromptTokens = 16, NewTokens = 128;
    private static readonly (string Dtype, int Batch, int Length)[] Steps = [("fp32", 1, 256), ("fp32", 2, 512), ("bf16", 1, 256)];

    public static JsonObject Run(string[] args)
    {
        var options = PeerOptions.Parse(args);
        if (PyTorchPeer.Unavailable(options.Python) is { } reason)
        {
            Console.Error.WriteLine($"peer: skipped: {reason}");
            return new JsonObject { ["benchmark"] = "peer", ["skipped"] = reason };
        }
        torch.set_num_threads(Environment.ProcessorCount);
        string folder = Directory.CreateTempSubdirectory("fedllm-bench-peer").FullName;
        try
        {
            var config = PeerModel.Qwen2Config(options.Layers);
            PeerModel.Write(folder, config, seed: 1);
            using var peer = PyTorchPeer.Start(options.Python, folder);
            // Off the main thread, as the generation suite measures: libtorch ran small ops slower on the main thread.
            return GenerationBenchmark.OnDecodingThread(() => Compare(options, folder, config, peer));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static JsonObject Compare(PeerOptions options, string folder, ModelConfig config, PyTorchPeer peer)
    {
        var peerInfo = peer.Ask("info");
        double bandwidth = ReadBandwidth.Measure();
        var operands = new List<IDisposable>();
        var models = new Dictionary<string, CausalLm>
        {
            ["fp32"] = PeerModel.Load(folder, ScalarType.Float32),
            ["bf16"] = PeerModel.Load(folder, ScalarType.BFloat16),
        };
        try
        {
            // Measured before adapters exist: decoding streams exactly these bytes per token (tied embeddings once).
            var streamedBytes = models.ToDictionary(m => m.Key, m => (double)m.Value.parameters().Sum(p => p.numel() * p.ElementSize));
            long linearParameters = models["fp32"].Projections().Sum(p => p.Projection.Weight.numel())
                                    + (config.TieWordEmbeddings ? models["fp32"].EmbedTokens.numel() : 0);
            var adapters = models.ToDictionary(m => m.Key, m => LoraBenchmark.AttachTrainingAdapters(m.Value, LoraBenchmark.Adapter.Dropout));

            var figures = new List<Figure>();
            foreach (string dtype in new[] { "fp32", "bf16" })
                figures.Add(MatmulFigure(dtype, options.MatmulSize, operands));
            var trainers = new List<SftTrainer>();
            foreach (var (dtype, batch, length) in Steps)
            {
                var trainer = new SftTrainer(models[dtype], adapters[dtype].Parameters.Select(p => p.Parameter).ToList(),
                    new TrainerOptions { LearningRate = 1e-4, BatchSize = batch, MaxSteps = 1, MaxGradNorm = 1.0 }, padId: 0);
                trainers.Add(trainer);
                var examples = RandomExamples(batch, length + 1, config.VocabSize);
                figures.Add(new Figure($"lora_step_{dtype}_{batch}x{length}", "tokens_per_s", batch * length,
                    () => trainer.Train(examples), $"lora {dtype} {batch} {length}", linearParameters * 4.0 * batch * length));
            }
            var greedy = new Dictionary<string, long[]>();
            foreach (string dtype in new[] { "fp32", "bf16" })
            {
                var (model, set) = (models[dtype], adapters[dtype]);
                figures.Add(new Figure($"decode_{dtype}", "tokens_per_s", NewTokens, () =>
                {
                    // The product's decoding path: the engine DecodeEngines picks for one sequence (the fused kernels).
                    set.Enabled = false;
                    try
                    {
                        using var engine = DecodeEngines.Create(model, 1, PromptTokens + NewTokens);
                        int[] prompt = Enumerable.Range(3, PromptTokens).ToArray();
                        greedy[dtype] = [.. DecodeBenchmark.Greedy(engine, prompt, NewTokens).Ids.Select(id => (long)id)];
                    }
                    finally { set.Enabled = true; }
                }, $"decode {dtype} {PromptTokens} {NewTokens}", 0));
            }

            figures.RemoveAll(f => !options.Includes(f.Name));
            if (figures.Count == 0) throw new ArgumentException($"peer: --only {string.Join(",", options.Only)} selects no figure");
            var peerReplies = new Dictionary<string, JsonObject>();
            var timed = figures.SelectMany(f => new Func<double>[]
            {
                () => TimeOf(f.FedLlm),
                () => (peerReplies[f.Name] = peer.Ask(f.PeerCommand))["seconds"]!.GetValue<double>(),
            }).ToList();
            double[] seconds = Measure.InterleavedMinimumOfReportedSeconds(timed, warmup: 1, repeats: options.Repeats);
            foreach (var trainer in trainers) trainer.Dispose();
            // Measured again after the figures and the higher kept: one reading can land on a neighbour's busy moment.
            bandwidth = Math.Max(bandwidth, ReadBandwidth.Measure());

            var rows = new JsonObject();
            for (int i = 0; i < figures.Count; i++) rows[figures[i].Name] = figures[i].Row(seconds[2 * i], seconds[2 * i + 1]);
            AddShares(rows, figures, seconds, streamedBytes, bandwidth);
            return new JsonObject
            {
                ["benchmark"] = "peer",
                ["model"] = new JsonObject
                {
                    ["architecture"] = config.Architecture, ["layers"] = config.NumHiddenLayers, ["hidden"] = config.HiddenSize,
                    ["intermediate"] = config.IntermediateSize, ["heads"] = config.NumAttentionHeads, ["kv_heads"] = config.NumKeyValueHeads,
                    ["vocab"] = config.VocabSize, ["tied_embeddings"] = config.TieWordEmbeddings, ["qkv_bias"] = config.AttentionBias,
                    ["parameters"] = models["fp32"].parameters().Where(p => !p.requires_grad).Sum(p => p.numel()),
                },
                ["lora"] = new JsonObject
                {
                    ["rank"] = LoraBenchmark.Adapter.Rank, ["alpha"] = LoraBenchmark.Adapter.Alpha, ["dropout"] = LoraBenchmark.Adapter.Dropout,
                    ["targets"] = "all seven projections", ["optimizer"] = "AdamW lr 1e-4 on the adapters, gradient clip 1.0",
                },
                ["timing"] = $"fastest of {options.Repeats} repeats after a warm-up; FedLlm and PyTorch alternate one measurement at a time; " +
                             "PyTorch times itself around the work (no pipe round trip)",
                ["figures"] = rows,
                // How many leading greedy ids both sides produced alike: random weights make near-ties, fp32 should agree.
                ["greedy_ids_agree"] = new JsonObject(greedy.Keys.Select(dtype =>
                    KeyValuePair.Create(dtype, (JsonNode?)LeadingAgreement(greedy[dtype], peerReplies[$"decode_{dtype}"])))),
                ["read_bandwidth_gb_per_s"] = Math.Round(bandwidth / 1e9, 2),
                ["read_bandwidth_timing"] = "aggregation suite's parallel sum over 8 × 10M floats, fastest of 5, before and after the figures, the higher kept",
                ["environment"] = EnvironmentFacts(peerInfo),
            };
        }
        finally
        {
            foreach (var model in models.Values) model.Dispose();
            foreach (var operand in operands) operand.Dispose();
        }
    }

    /// <summary>One figure measured on both sides: FedLlm's action and the peer's command for the same work.</summary>
    private sealed record Figure(string Name, string Unit, double Work, Action FedLlm, string PeerCommand, double LinearFlops)
    {
        public JsonObject Row(double fedLlmSeconds, double pyTorchSeconds)
        {
            double scale = Unit == "gflop_per_s" ? 1e-9 : 1;
            return new JsonObject
            {
                ["unit"] = Unit,
                ["fedllm"] = Math.Round(Work / fedLlmSeconds * scale, 2),
                ["pytorch"] = Math.Round(Work / pyTorchSeconds * scale, 2),
                ["ratio"] = Math.Round(pyTorchSeconds / fedLlmSeconds, 3),
                ["fedllm_seconds"] = Math.Round(fedLlmSeconds, 4),
                ["pytorch_seconds"] = Math.Round(pyTorchSeconds, 4),
            };
        }
    }

    private static Figure MatmulFigure(string dtype, int size, List<IDisposable> operands)
    {
        Tensor a, b;
        using (var scope = NewDisposeScope())
        {
            a = randn(size, size).to(dtype == "bf16" ? ScalarType.BFloat16 : ScalarType.Float32).MoveToOuterDisposeScope();
            b = randn(size, size).to(a.dtype).MoveToOuterDisposeScope();
        }
        operands.Add(a);
        operands.Add(b);
        // FedLlm multiplies bf16 weights through BFloat16Compute (fp32 GEMM on CPUs without native bf16), so its bf16
        // peak is that product's rate: a·bᵀ, the same work as a·b.
        Action product = dtype == "bf16" ? () => { using var c = BFloat16Compute.Linear(a, b, null); } : () => { using var c = a.matmul(b); };
        return new Figure($"matmul_{dtype}_{size}", "gflop_per_s", 2.0 * size * size * size, product, $"matmul {dtype} {size}", 0);
    }

    /// <summary>
    /// Each step's linear-layer work (forward 2·P·tokens, input gradients 2·P·tokens; the frozen base needs no weight
    /// gradient; attention and adapters left out) as a share of the same side's matmul rate in the step's dtype; and
    /// each decode as a share of the weight-streaming limit, read bandwidth ÷ weight bytes per token.
    /// </summary>
    private static void AddShares(JsonObject rows, IReadOnlyList<Figure> figures, double[] seconds,
        IReadOnlyDictionary<string, double> streamedBytes, double bandwidth)
    {
        int Index(string prefix) => figures.ToList().FindIndex(f => f.Name.StartsWith(prefix, StringComparison.Ordinal));
        foreach (var (figure, i) in figures.Select((f, i) => (f, i)))
        {
            var row = (JsonObject)rows[figure.Name]!;
            if (figure.LinearFlops > 0)
            {
                string dtype = figure.Name.Contains("bf16") ? "bf16" : "fp32";
                int peak = Index($"matmul_{dtype}");
                if (peak < 0) continue; // left out by --only
                double fedPeak = figures[peak].Work / seconds[2 * peak], torchPeak = figures[peak].Work / seconds[2 * peak + 1];
                row["fedllm_share_of_matmul_peak"] = Math.Round(figure.LinearFlops / seconds[2 * i] / fedPeak, 3);
                row["pytorch_share_of_matmul_peak"] = Math.Round(figure.LinearFlops / seconds[2 * i + 1] / torchPeak, 3);
            }
            else if (figure.Name.StartsWith("decode_", StringComparison.Ordinal))
            {
                double bytes = streamedBytes[figure.Name["decode_".Length..]];
                double limit = bandwidth / bytes;
                row["weight_bytes_per_token"] = bytes;
                row["weight_streaming_limit_tokens_per_s"] = Math.Round(limit, 2);
                row["fedllm_share_of_limit"] = Math.Round(figure.Work / seconds[2 * i] / limit, 3);
                row["pytorch_share_of_limit"] = Math.Round(figure.Work / seconds[2 * i + 1] / limit, 3);
            }
        }
    }

    private static double TimeOf(Action action)
    {
        var clock = Stopwatch.StartNew();
        action();
        return clock.Elapsed.TotalSeconds;
    }

    private static List<TokenizedExample> RandomExamples(int count, int length, int vocab)
    {
        var random = new Random(5);
        return Enumerable.Range(0, count).Select(_ =>
        {
            var ids = Enumerable.Range(0, length).Select(_ => random.Next(3, vocab)).ToArray();
            return new TokenizedExample(ids, ids.ToArray());
        }).ToList();
    }

    private static int LeadingAgreement(long[] fedLlm, JsonObject peerReply)
    {
        var ids = peerReply["ids"]!.AsArray().Select(n => n!.GetValue<long>()).ToArray();
        int same = 0;
        while (same < Math.Min(fedLlm.Length, ids.Length) && fedLlm[same] == ids[same]) same++;
        return same;
    }

    private static JsonObject EnvironmentFacts(JsonObject peerInfo)
    {
        string cpuInfo = File.Exists("/proc/cpuinfo") ? File.ReadAllText("/proc/cpuinfo") : "";
        var lines = cpuInfo.Split('\n');
        string Field(string key) => lines.FirstOrDefault(l => l.StartsWith(key, StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown";
        var flags = Field("flags").Split(' ').ToHashSet();
        var isa = new JsonObject();
        foreach (string flag in new[] { "avx2", "fma", "avx512f", "avx512_bf16", "amx_bf16" }) isa[flag] = flags.Contains(flag);
        return new JsonObject
        {
            ["cpu"] = Field("model name"),
            ["processors"] = System.Environment.ProcessorCount,
            ["isa"] = isa,
            ["fedllm_threads"] = torch.get_num_threads(),
            ["fedllm_bf16_products"] = BFloat16Compute.NativeMatmul ? "libtorch bf16" : "fp32 GEMM on bf16 weights (no AVX-512 bf16 support)",
            ["fedllm_omp_wait_policy"] = System.Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") ?? "libgomp default",
            ["pytorch"] = peerInfo["torch"]?.DeepClone(),
            ["pytorch_threads"] = peerInfo["threads"]?.DeepClone(),
            ["pytorch_blas"] = peerInfo["blas"]?.DeepClone(),
            ["pytorch_fused_attention"] = peerInfo["sdpa"]?.DeepClone(),
            ["pytorch_environment"] = $"unset {string.Join(", ", PyTorchPeer.RemovedVariables)}; " +
                                      string.Join(", ", PyTorchPeer.TunedVariables.Select(v => $"{v.Key}={v.Value}")),
        };
    }
}
