using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using FedLlm.Data.Demo;
using FedLlm.Federation.Demo;
using FedLlm.Models;
using FedLlm.Models.Generation;
using FedLlm.Models.Presets;
using FedLlm.Serving;
using TorchSharp;
using static TorchSharp.torch;

namespace FedLlm.Bench;

/// <summary>
/// Generation throughput on the bench model (<see cref="RuntimeBenchmark.PresetName"/>, random weights): 16 prompts of
/// different lengths, 64 greedy tokens each, decoded (a) one after another on the single-sequence KV-cache path
/// (CausalLm.Forward with a KvCache), the reference; (b) by the batched engine at batch 1, 4 and 16; and (c) through
/// <c>fedllm serve</c>'s HTTP server on loopback by 1, 4 and 16 concurrent clients. Tokens/s is generated tokens over
/// wall-clock seconds; every variant runs once per
/// repeat in alternation and the fastest of 3 repeats counts (after a warm-up), so a neighbour's load hits all alike.
/// </summary>
public static class GenerationBenchmark
{
    private const int Prompts = 16;
    private const int NewTokens = 64;

    public static JsonObject Run(string[] args)
    {
        torch.set_num_threads(Environment.ProcessorCount);
        string root = Directory.CreateTempSubdirectory("fedllm-bench-generation").FullName;
        try
        {
            string modelDir = Path.Combine(root, "model");
            Directory.CreateDirectory(modelDir);
            var corpus = DemoTasks.Generate(500, 1).SelectMany(e => e.Conversation.Turns.Select(t => t.Content)).ToList();
            RandomModel.Create(modelDir, ModelPreset.Get(RuntimeBenchmark.PresetName), DemoTokenizer.Create(modelDir, corpus), 1);
            var texts = corpus.Where(t => t.Length > 8).Take(Prompts).ToArray();
            using var model = PretrainedModel.Load(modelDir);
            var jobs = texts.Select(t => new GenerationJob
            {
                PromptIds = model.EncodePrompt(t),
                Options = new GenerationOptions { MaxNewTokens = NewTokens, StopAtEos = false },
            }).ToArray();
            int total = Prompts * NewTokens;
            int[] sizes = [1, 4, 16];
            // Measured in alternation and the fastest kept: on a shared machine that keeps the ratios meaningful.
            var actions = new List<Action> { () => KvCachePath(model, jobs) };
            actions.AddRange(sizes.Select(batch => (Action)(() => Batched(model, jobs, batch))));
            double[] seconds = OnDecodingThread(() => Measure.InterleavedMinimumSeconds(actions, warmup: 1, repeats: 3));
            double reference = seconds[0];
            var batches = new JsonArray();
            for (int i = 0; i < sizes.Length; i++)
            {
                batches.Add(new JsonObject
                {
                    ["batch"] = sizes[i],
                    ["tokens_per_s"] = Math.Round(total / seconds[i + 1], 1),
                    ["speedup_over_sequential"] = Math.Round(reference / seconds[i + 1], 2),
                });
            }
            return new JsonObject
            {
                ["benchmark"] = "generation",
                ["preset"] = RuntimeBenchmark.PresetName,
                ["threads"] = torch.get_num_threads(),
                ["prompts"] = Prompts,
                ["prompt_tokens"] = new JsonArray(jobs.Min(j => j.PromptIds.Count), jobs.Max(j => j.PromptIds.Count)),
                ["new_tokens_each"] = NewTokens,
                ["sequential_kv_cache_tokens_per_s"] = Math.Round(total / reference, 1),
                ["batched"] = batches,
                // "generation engine" measures the in-process paths only.
                ["server"] = args.Contains("engine") ? null : Server(modelDir, texts).GetAwaiter().GetResult(),
            };
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>
    /// Runs a measurement on a thread of its own, as the server's decoding thread runs: on this machine libtorch ran
    /// small ops on the process's main thread many times slower than on any other thread, which would have made the
    /// in-process figures incomparable with the server's.
    /// </summary>
    public static T OnDecodingThread<T>(Func<T> measure)
    {
        T result = default!;
        System.Runtime.ExceptionServices.ExceptionDispatchInfo? failure = null;
        var thread = new Thread(() =>
        {
            try { result = measure(); }
            catch (Exception e) { failure = System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e); }
        }) { Name = "bench-decode" };
        thread.Start();
        thread.Join();
        // Rethrown on the caller's thread, so a bad argument found inside still ends as the program's one-line error.
        failure?.Throw();
        return result;
    }

    /// <summary>The single-sequence path generation had before batching: one KvCache per prompt, greedy, one token per forward.</summary>
    private static void KvCachePath(PretrainedModel model, IReadOnlyList<GenerationJob> jobs)
    {
        using var noGrad = no_grad();
        foreach (var job in jobs)
        {
            using var cache = model.Model.CreateCache(1, job.PromptIds.Count + NewTokens);
            using var scope = NewDisposeScope();
            var next = model.Model.Forward(tensor(job.PromptIds.Select(i => (long)i).ToArray()).unsqueeze(0), cache)[0, -1].argmax().reshape(1, 1);
            for (int i = 1; i < NewTokens; i++)
            {
                using var step = NewDisposeScope();
                next = model.Model.Forward(next, cache)[0, -1].argmax().reshape(1, 1).MoveToOuterDisposeScope();
            }
        }
    }

    private static void Batched(PretrainedModel model, IReadOnlyList<GenerationJob> jobs, int batch)
    {
        using var generator = new BatchGenerator(model, batch);
        generator.GenerateAll(jobs);
    }

    /// <summary>N clients each sending their share of the prompts one after another to a loopback server.</summary>
    private static async Task<JsonArray> Server(string modelDir, IReadOnlyList<string> prompts)
    {
        int port = FreePort();
        var options = new ServeOptions { ModelPath = modelDir, Listen = $"http://127.0.0.1:{port}", MaxBatch = 16, MaxQueue = 64 };
        using var served = ServedModels.Load(options);
        using var stop = new CancellationTokenSource();
        var ready = new TaskCompletionSource();
        var server = new OpenAiServer(served, options).RunAsync(_ => ready.TrySetResult(), stop.Token);
        await ready.Task;
        using var http = new HttpClient { BaseAddress = new Uri(options.Listen), Timeout = TimeSpan.FromMinutes(10) };
        int[] counts = [1, 4, 16];
        var best = counts.ToDictionary(c => c, _ => double.MaxValue);
        long tokens = 0;
        foreach (int clients in counts) await Round(http, served.BaseName, prompts, clients); // warm-up
        for (int repeat = 0; repeat < 3; repeat++)
        {
            foreach (int clients in counts)
            {
                var clock = Stopwatch.StartNew();
                tokens = await Round(http, served.BaseName, prompts, clients);
                best[clients] = Math.Min(best[clients], clock.Elapsed.TotalSeconds);
            }
        }
        var rows = new JsonArray();
        foreach (int clients in counts)
        {
            rows.Add(new JsonObject
            {
                ["clients"] = clients,
                ["requests"] = prompts.Count,
                ["completion_tokens"] = tokens,
                ["tokens_per_s"] = Math.Round(tokens / best[clients], 1),
            });
        }
        stop.Cancel();
        await server;
        return rows;
    }

    private static async Task<long> Round(HttpClient http, string model, IReadOnlyList<string> prompts, int clients)
    {
        var counts = await Task.WhenAll(Enumerable.Range(0, clients).Select(async client =>
        {
            long tokens = 0;
            for (int i = client; i < prompts.Count; i += clients)
            {
                using var response = await http.PostAsJsonAsync("/v1/completions", new { model, prompt = prompts[i], max_tokens = NewTokens, temperature = 0 });
                response.EnsureSuccessStatusCode();
                var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
                tokens += body["usage"]!["completion_tokens"]!.GetValue<long>();
            }
            return tokens;
        }));
        return counts.Sum();
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
