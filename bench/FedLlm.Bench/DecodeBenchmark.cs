using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using FedLlm.Models;
using FedLlm.Models.Conversion;
using FedLlm.Models.Generation;
using FedLlm.Models.Generation.Fused;
using FedLlm.Models.Llama;
using TorchSharp;
using static TorchSharp.torch;

namespace FedLlm.Bench;

/// <summary>
/// Greedy decoding speed of the fused engine (<see cref="FusedDecodeEngine"/>) against (a) llama2.c's run.c on
/// stories260K (../shared, compiled with gcc -O3 -march=native, single-threaded), and (b) the libtorch engine and the
/// weight-streaming limit (read bandwidth measured in the same run ÷ weight bytes per token) on a random Qwen2 model of
/// Qwen2.5-0.5B's shape in fp32 and bf16. Variants run in alternation and the fastest repeat counts.
/// </summary>
public static partial class DecodeBenchmark
{
    private const int StoriesPositions = 256;
    private const int ShapePromptTokens = 16;

    /// <param name="args">Optional: new tokens per 0.5B-shape run (default 128), repeats (default 2).</param>
    public static JsonObject Run(string[] args)
    {
        int newTokens = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 128;
        int repeats = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 2;
        torch.set_num_threads(Environment.ProcessorCount);
        return new JsonObject
        {
            ["benchmark"] = "decode",
            ["processors"] = Environment.ProcessorCount,
            ["stories260k"] = Stories(repeats: 5),
            ["qwen2_0_5b_shape"] = new JsonArray(
                QwenShape(ScalarType.Float32, newTokens, repeats),
                QwenShape(ScalarType.BFloat16, newTokens, repeats)),
            ["timing"] = "fastest of the repeats after a warm-up, variants interleaved, wall clock",
        };
    }

    /// <summary>stories260K: 256 positions from BOS, greedy, through the generator (sampling and text included) as run.c does.</summary>
    private static JsonObject Stories(int repeats)
    {
        string? shared = SharedRoot();
        if (shared is null) return new JsonObject { ["skipped"] = "../shared is absent (set FEDLLM_SHARED or place it beside the repository)" };
        string root = Directory.CreateTempSubdirectory("fedllm-bench-decode").FullName;
        try
        {
            string bin = Path.Combine(shared, "models/stories260K/stories260K.bin"), tokenizer = Path.Combine(shared, "models/stories260K/tok512.bin");
            string converted = Path.Combine(root, "stories260K");
            Llama2cConverter.Convert(bin, tokenizer, converted);
            using var model = PretrainedModel.Load(converted);
            var job = new GenerationJob
            {
                PromptIds = [model.BosTokenId!.Value],
                Options = new GenerationOptions { MaxNewTokens = StoriesPositions - 1, StopAtEos = false },
            };
            string? runC = CompileRunC(shared, root, out string? whyNot);
            double runCBest = 0;
            var actions = new List<Action>
            {
                () => Generate(model, new FusedDecodeEngine(model.Model, 1), job),
                () => Generate(model, new TorchDecodeEngine(model.Model, 1), job),
            };
            if (runC is not null) actions.Add(() => runCBest = Math.Max(runCBest, RunC(runC, bin, tokenizer)));
            double[] seconds = Measure.InterleavedMinimumSeconds(actions, warmup: 2, repeats: repeats);
            double fused = job.Options.MaxNewTokens / seconds[0], libtorch = job.Options.MaxNewTokens / seconds[1];
            var result = new JsonObject
            {
                ["positions"] = StoriesPositions,
                ["fused_tokens_per_s"] = Math.Round(fused, 1),
                ["libtorch_tokens_per_s"] = Math.Round(libtorch, 1),
                ["fused_over_libtorch"] = Math.Round(fused / libtorch, 2),
            };
            if (runC is null) result["run_c"] = $"skipped: {whyNot}";
            else
            {
                result["run_c_tokens_per_s"] = Math.Round(runCBest, 1);
                result["fused_over_run_c"] = Math.Round(fused / runCBest, 2);
            }
            return result;
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static void Generate(PretrainedModel model, IDecodeEngine engine, GenerationJob job)
    {
        using var generator = new BatchGenerator(model, engine, ownsEngine: true);
        generator.GenerateAll([job]);
    }

    /// <summary>Builds run.c into <paramref name="directory"/>; null (and why) when gcc or the source is missing.</summary>
    private static string? CompileRunC(string shared, string directory, out string? whyNot)
    {
        string source = Path.Combine(shared, "tools/llama2c/run.c"), binary = Path.Combine(directory, "run");
        whyNot = null;
        if (!File.Exists(source))
        {
            whyNot = $"{source} is absent";
            return null;
        }
        try
        {
            var (code, _, error) = Execute("gcc", ["-O3", "-march=native", "-o", binary, source, "-lm"]);
            if (code == 0) return binary;
            whyNot = $"gcc failed: {error.Trim()}";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            whyNot = "gcc is not installed";
        }
        return null;
    }

    /// <summary>run.c's own "achieved tok/s" for greedy decoding of 256 positions (single-threaded: built without OpenMP).</summary>
    private static double RunC(string binary, string model, string tokenizer)
    {
        var (code, _, error) = Execute(binary, [model, "-z", tokenizer, "-t", "0", "-n", StoriesPositions.ToString(CultureInfo.InvariantCulture)]);
        var match = AchievedRate().Match(error);
        if (code != 0 || !match.Success) throw new InvalidOperationException($"run.c failed (exit {code}): {error.Trim()}");
        return double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"achieved tok/s: ([0-9.]+)")]
    private static partial Regex AchievedRate();

    private static (int Code, string Output, string Error) Execute(string file, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output.Result, error);
    }

    /// <summary>A random Qwen2 of Qwen2.5-0.5B's shape: fused and libtorch greedy decoding against the streaming limit.</summary>
    private static JsonObject QwenShape(ScalarType dtype, int newTokens, int repeats)
    {
        // Qwen2.5-0.5B's shape, as the peer suite measures it.
        var config = Peer.PeerModel.Qwen2Config();
        using var model = new CausalLm(config, dtype);
        model.InitialiseRandom(new Generator(1));
        var random = new Random(2);
        int[] prompt = Enumerable.Range(0, ShapePromptTokens).Select(_ => random.Next(config.VocabSize)).ToArray();
        var buffers = ReadBandwidth.Buffers(1L << 30);
        long bytesBuffered = buffers.Sum(b => (long)b.Length * sizeof(float));

        using var fused = new FusedDecodeEngine(model, 1, context: ShapePromptTokens + newTokens);
        using var libtorch = new TorchDecodeEngine(model, 1, context: ShapePromptTokens + newTokens);
        double fusedBest = double.MaxValue, libtorchBest = double.MaxValue, bandwidthBest = double.MaxValue;
        int[]? fusedIds = null, libtorchIds = null;
        for (int r = 0; r <= repeats; r++)
        {
            // Repeat 0 warms up (JIT, page faults, libtorch's first-call work) and is not counted.
            var (fusedSeconds, f) = Greedy(fused, prompt, newTokens);
            var (libtorchSeconds, l) = Greedy(libtorch, prompt, newTokens);
            double bandwidthSeconds = double.MaxValue;
            for (int sample = 0; sample < 5; sample++)
            {
                // A sum takes ~0.1 s, so a neighbour's burst can swamp one: the fastest of several is the machine's.
                var clock = Stopwatch.StartNew();
                ReadBandwidth.Sum(buffers);
                bandwidthSeconds = Math.Min(bandwidthSeconds, clock.Elapsed.TotalSeconds);
            }
            (fusedIds, libtorchIds) = (f, l);
            if (r == 0) continue;
            fusedBest = Math.Min(fusedBest, fusedSeconds);
            libtorchBest = Math.Min(libtorchBest, libtorchSeconds);
            bandwidthBest = Math.Min(bandwidthBest, bandwidthSeconds);
        }
        double steps = newTokens - 1;
        double bandwidth = bytesBuffered / bandwidthBest, limit = bandwidth / fused.WeightBytesPerToken;
        double fusedRate = steps / fusedBest, libtorchRate = steps / libtorchBest;
        return new JsonObject
        {
            ["dtype"] = dtype == ScalarType.BFloat16 ? "bfloat16" : "float32",
            ["prompt_tokens"] = ShapePromptTokens,
            ["new_tokens"] = newTokens,
            ["weight_bytes_per_token"] = fused.WeightBytesPerToken,
            ["read_bandwidth_gb_per_s"] = Math.Round(bandwidth / 1e9, 2),
            ["streaming_limit_tokens_per_s"] = Math.Round(limit, 2),
            ["fused_tokens_per_s"] = Math.Round(fusedRate, 2),
            ["fused_share_of_limit"] = Math.Round(fusedRate / limit, 3),
            ["libtorch_tokens_per_s"] = Math.Round(libtorchRate, 2),
            ["libtorch_share_of_limit"] = Math.Round(libtorchRate / limit, 3),
            ["fused_over_libtorch"] = Math.Round(fusedRate / libtorchRate, 2),
            // fp32 should agree; bf16 need not on random weights: libtorch also rounds every activation to bf16.
            ["same_greedy_ids"] = fusedIds!.SequenceEqual(libtorchIds!),
            ["rate"] = "single-token steps after the prompt's prefill: (new_tokens - 1) / their seconds",
        };
    }

    /// <summary>Prefills the prompt, then decodes greedily; returns the seconds of the single-token steps and the ids.</summary>
    public static (double DecodeSeconds, int[] Ids) Greedy(IDecodeEngine engine, int[] prompt, int newTokens)
    {
        int sequence = engine.Open();
        try
        {
            var ids = new int[newTokens];
            ids[0] = Argmax(engine.Append([sequence], [prompt]));
            var clock = Stopwatch.StartNew();
            for (int i = 1; i < newTokens; i++) ids[i] = Argmax(engine.Append([sequence], [[ids[i - 1]]]));
            return (clock.Elapsed.TotalSeconds, ids);
        }
        finally
        {
            engine.Close(sequence);
        }
    }

    private static int Argmax(Tensor logits)
    {
        using (logits)
        using (var best = logits.argmax(1)) return (int)best.item<long>();
    }

    /// <summary>../shared beside the repository (or FEDLLM_SHARED), as the tests find it; null when absent.</summary>
    private static string? SharedRoot()
    {
        string? fromEnvironment = Environment.GetEnvironmentVariable("FEDLLM_SHARED");
        if (!string.IsNullOrEmpty(fromEnvironment)) return Directory.Exists(fromEnvironment) ? fromEnvironment : null;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "FedLlm.slnx")))
            {
                string candidate = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared"));
                return Directory.Exists(candidate) ? candidate : null;
            }
        return null;
    }
}
