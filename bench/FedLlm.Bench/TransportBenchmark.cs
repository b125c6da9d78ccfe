using System.Text.Json.Nodes;
using FedLlm.Data.Demo;
using FedLlm.Federation.Demo;
using FedLlm.Federation.Engine;
using FedLlm.Federation.Configuration;
using FedLlm.Federation.Runs;
using FedLlm.Federation.Strategies;
using FedLlm.Models;
using FedLlm.Models.Lora;
using FedLlm.Models.Presets;
using FedLlm.Transport.Client;
using FedLlm.Transport.Protocol;
using FedLlm.Transport.Security;
using FedLlm.Transport.Server;

namespace FedLlm.Bench;

/// <summary>
/// Round latency and bytes on the wire of the gRPC transport with 2, 8 and 32 lightweight clients on loopback (TLS,
/// token auth): clients answer at once with a perturbed copy of the global, so the numbers are the transport's own.
/// The reference is the payload itself: bytes on the wire against the minimum (N × P × 4 bytes each way). Each size
/// runs twice, plaintext and encrypted (FedShield-style FedAvg: ciphertexts up, encrypted aggregate down, sealed key
/// shares at the start), so the encrypted round's overhead is measured against plaintext in the same run.
/// </summary>
public static class TransportBenchmark
{
    private const int Rounds = 4;

    public static JsonObject Run(string[] args)
    {
        int[] counts = args.Length > 0 ? [.. args.Select(int.Parse)] : [2, 8, 32];
        string root = Directory.CreateTempSubdirectory("fedllm-bench-transport").FullName;
        try
        {
            string modelDir = Path.Combine(root, "model");
            Directory.CreateDirectory(modelDir);
            var corpus = DemoTasks.Generate(500, 1).SelectMany(e => e.Conversation.Turns.Select(t => t.Content));
            RandomModel.Create(modelDir, ModelPreset.Get(RuntimeBenchmark.PresetName), DemoTokenizer.Create(modelDir, corpus), 1);
            using var model = PretrainedModel.Load(modelDir);
            var adapters = RunSetup.AttachAdapters(model, BenchConfig(Path.Combine(root, "setup"), 1));
            var sizes = new JsonArray();
            foreach (int clients in counts)
            {
                var plaintext = RunFor(root, adapters, clients, encrypted: false).GetAwaiter().GetResult();
                var encrypted = RunFor(root, adapters, clients, encrypted: true).GetAwaiter().GetResult();
                sizes.Add(new JsonObject
                {
                    ["clients"] = clients,
                    ["plaintext"] = plaintext,
                    ["encrypted"] = encrypted,
                    ["encrypted_over_plaintext_round_seconds"] = Math.Round(encrypted["round_seconds_median"]!.GetValue<double>() / plaintext["round_seconds_median"]!.GetValue<double>(), 2),
                    ["encrypted_over_plaintext_wire_up"] = Math.Round(encrypted["wire_bytes_up_per_round"]!.GetValue<long>() / (double)plaintext["wire_bytes_up_per_round"]!.GetValue<long>(), 3),
                    ["encrypted_over_plaintext_wire_down"] = Math.Round(encrypted["wire_bytes_down_per_round"]!.GetValue<long>() / (double)plaintext["wire_bytes_down_per_round"]!.GetValue<long>(), 3),
                });
            }
            return new JsonObject
            {
                ["benchmark"] = "transport",
                ["transport"] = "gRPC over TLS on loopback, token auth, fp32 wire format (encrypted: ciphertexts, default encryption section with max_clients 64)",
                ["rounds_measured"] = Rounds - 1,
                ["clients"] = sizes,
            };
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    // The server validates its run config as a deployment would, model folder included (members train nothing here).
    private static RunConfig BenchConfig(string dir, int clientCount, bool encrypted = false) => new()
    {
        Name = "bench", OutputDirectory = dir, Rounds = Rounds, Seed = 1,
        Model = new ModelSection { Path = Path.Combine(Path.GetDirectoryName(dir.TrimEnd('/'))!, "model") },
        Lora = new LoraSection { Rank = 16, Dropout = 0 },
        Strategy = new StrategySection { Algorithm = "fedavg", ClientsPerRound = clientCount },
        Split = new SplitSection { Clients = clientCount },
        Encryption = new EncryptionSection { Enabled = encrypted },
    };

    private static async Task<JsonObject> RunFor(string root, LoraAdapterSet adapters, int clientCount, bool encrypted)
    {
        string dir = Path.Combine(root, $"n{clientCount}-{(encrypted ? "encrypted" : "plaintext")}");
        var names = Enumerable.Range(0, clientCount).Select(i => $"c{i}").ToList();
        var credentials = TestFederationCredentials.Create(Path.Combine(dir, "certs"), ["localhost"], names, TimeSpan.FromDays(1));
        int port = FreePort();
        var config = BenchConfig(dir, clientCount, encrypted);
        var setup = config.Encryption.CreateSetup(adapters.Layout, config);
        var section = new ServerSection
        {
            Listen = $"https://127.0.0.1:{port}",
            Certificate = credentials.ServerCertificate,
            Key = Path.Combine(credentials.Directory, "server-key.pem"),
            Clients = [.. names.Select(n => new ClientEntry { Name = n, Token = File.ReadAllText(credentials.TokenFiles[n]).Trim() })],
            RoundDeadlineSeconds = 120,
        };
        var roundSeconds = new RoundTimes();
        var server = new FederationServer(config, section, adapters) { Observer = roundSeconds, MinimumLogLevel = Microsoft.Extensions.Logging.LogLevel.Warning };
        var serverRun = server.RunAsync();
        // The key holder seals only to members' keys pinned out of band, as in a deployment: collect their fingerprints first.
        KeyPins? pins = null;
        if (encrypted)
        {
            string pinFile = Path.Combine(dir, "member-fingerprints.txt");
            File.WriteAllLines(pinFile, names.Select(n =>
            {
                using var identity = MemberEncryption.LoadIdentity(Path.Combine(dir, "state-" + n));
                return $"{n} {identity.Fingerprint}";
            }));
            pins = new KeyPins(null, FedLlm.Encryption.Keys.MemberFingerprints.Read(pinFile), false);
        }
        var members = names.Select(n => encrypted
            ? new MemberEncryption(setup, size => config.CreateStrategy(size, size), Path.Combine(dir, "state-" + n), pins)
            : null).ToList();
        var clientRuns = names.Select((n, i) => new FederationClient(new ClientSection
        {
            Server = $"https://localhost:{port}",
            Token = File.ReadAllText(credentials.TokenFiles[n]).Trim(),
            Ca = credentials.CaCertificate,
            MaxBackoffSeconds = 0.5,
        }, adapters.Layout, new EchoWork(), _ => { }) { Encryption = members[i] }.RunAsync()).ToList();
        await serverRun;
        await Task.WhenAll(clientRuns);
        members.ForEach(m => m?.Dispose());

        var wire = new RunDirectory(config.RunDirectory).ReadMetrics().Where(m => (string?)m["type"] == "round").Skip(1).ToList();
        long parameters = adapters.Layout.TotalLength;
        double down = wire.Average(m => m["wire_bytes_down"]!.GetValue<long>());
        double up = wire.Average(m => m["wire_bytes_up"]!.GetValue<long>());
        double payload = (double)clientCount * parameters * sizeof(float);
        var steady = roundSeconds.Seconds.Skip(1).Order().ToList();
        return new JsonObject
        {
            ["parameters"] = parameters,
            ["round_seconds_median"] = Math.Round(steady[steady.Count / 2], 4),
            ["round_seconds_first"] = Math.Round(roundSeconds.Seconds[0], 4),
            ["wire_bytes_down_per_round"] = (long)down,
            ["wire_bytes_up_per_round"] = (long)up,
            ["wire_over_payload_down"] = Math.Round(down / payload, 4),
            ["wire_over_payload_up"] = Math.Round(up / payload, 4),
            ["payload_megabytes_per_second"] = Math.Round((down + up) / steady[steady.Count / 2] / 1e6, 1),
        };
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>A client that answers at once with the global moved slightly, so aggregation has real work.</summary>
    private sealed class EchoWork : IMemberWork
    {
        public long RecordCount => 10;

        public string? ProblemBeforeJoin() => null;

        public void Joined(JoinReply join) { }

        public MemberAnswer Run(MemberTask work, CancellationToken cancellation)
        {
            var task = work.Task;
            float[] weights = [.. task.Weights.Select((w, i) => w + 1e-3f * ((i + task.ClientId) % 3 - 1))];
            return new MemberAnswer.Trained(new ClientResult(new ClientUpdate(task.ClientId, 10, weights), new ClientTrainingMetrics(0, 0, 0, 0, 0)));
        }
    }

    /// <summary>Each round's duration as the server measured it.</summary>
    private sealed class RoundTimes : IRunObserver
    {
        public List<double> Seconds { get; } = [];

        public void RoundCompleted(RoundOutcome outcome, JsonObject record, int totalRounds) => Seconds.Add(outcome.Seconds);
    }
}
