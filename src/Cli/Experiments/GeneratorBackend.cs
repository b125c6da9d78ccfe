using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using FedLlm.Generation;
using FedLlm.Models.Lora;
using FedLlm.Serving;

namespace FedLlm.Cli.Experiments;

/// <summary>
/// The generators of an experiment as config sections, for one base model and its adapters (a format tutor, a DP
/// adapter, a professional adapter), each under a role name. In process, a section names the model folder and adapter;
/// over HTTP, this starts FedLlm's OpenAI-compatible server on loopback with every adapter and a section names the
/// endpoint and the served model. Each served adapter's name carries a hash of its weights, so the response cache
/// (keyed by endpoint and model name) never answers for a different adapter under the same role.
/// </summary>
public sealed class GeneratorBackend : IAsyncDisposable
{
    private readonly Dictionary<string, GeneratorSection> _sections = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private Task? _server;
    private OpenAiServer? _endpoint;
    private ServedModels? _served;

    private GeneratorBackend()
    {
    }

    public string Description { get; private set; } = "";

    /// <summary>
    /// <see cref="Description"/> with, over HTTP, the generation requests the server received so far: what a re-run
    /// answered from the response cache did not send.
    /// </summary>
    public string Usage => _endpoint is null ? Description : $"{Description}, {_endpoint.GenerationRequests} generation request(s) served";

    /// <param name="adapters">Role → adapter folder; a null folder is the base model itself.</param>
    public static async Task<GeneratorBackend> StartAsync(ExperimentConfig config, IReadOnlyDictionary<string, string?> adapters, string cacheDirectory)
    {
        string modelPath = Path.GetFullPath(config.Run.Model.Path!);
        var backend = new GeneratorBackend();
        if (config.BackendKind == BackendKind.InProcess)
        {
            foreach (var (role, adapter) in adapters)
                backend._sections[role] = new GeneratorSection { ModelPath = modelPath, AdapterPath = adapter, CacheDir = cacheDirectory, Dtype = config.Run.Model.Dtype };
            backend.Description = "in process";
            return backend;
        }

        var names = adapters.ToDictionary(a => a.Key, a => a.Value is null ? "base" : a.Key + "-" + WeightsHash(a.Value));
        int port = config.HttpPort > 0 ? config.HttpPort : FreePort();
        var options = new ServeOptions
        {
            ModelPath = modelPath,
            Adapters = [.. adapters.Where(a => a.Value is not null).Select(a => (names[a.Key], Path.GetFullPath(a.Value!)))],
            ServedModelName = "base",
            Listen = $"http://127.0.0.1:{port}",
            Dtype = config.Run.Model.Dtype,
            MaxQueue = 1024,
        };
        backend._served = ServedModels.Load(options);
        var listening = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        backend._endpoint = new OpenAiServer(backend._served, options);
        backend._server = Task.Run(() => backend._endpoint.RunAsync(address => listening.TrySetResult(address), backend._stop.Token));
        if (await Task.WhenAny(listening.Task, backend._server) != listening.Task)
        {
            await backend.DisposeAsync();
            throw new InvalidOperationException($"the experiment's HTTP server on port {port} stopped before it listened");
        }
        string address = await listening.Task;
        foreach (var role in adapters.Keys)
        {
            backend._sections[role] = new GeneratorSection
            {
                Endpoint = address + "/v1", Model = names[role], CacheDir = cacheDirectory, MaxConcurrency = 16, TimeoutSeconds = 600, MaxRetries = 2,
                // The served model's own tokenizer bounds U2S chunks, exactly as in process (words would overflow a small context).
                TokenizerPath = modelPath,
            };
        }
        backend.Description = $"over HTTP ({address})";
        return backend;
    }

    public GeneratorSection For(string role) =>
        _sections.TryGetValue(role, out var section) ? section : throw new InvalidOperationException($"no generator for role '{role}'");

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_server is not null)
        {
            try { await _server; }
            catch (OperationCanceledException) { }
        }
        _served?.Dispose();
        _stop.Dispose();
    }

    private static string WeightsHash(string adapter)
    {
        using var weights = File.OpenRead(Path.Combine(adapter, LoraAdapterSet.WeightsFileName));
        return Convert.ToHexStringLower(SHA256.HashData(weights))[..12];
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
