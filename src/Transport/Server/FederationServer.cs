using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using FedLlm.Federation.Encryption;
using FedLlm.Federation.Engine;
using FedLlm.Federation.Reporting;
using FedLlm.Federation.Simulation;
using FedLlm.Federation.Strategies;
using FedLlm.Models.Lora;
using FedLlm.Transport.Security;
using FedLlm.Transport.Wire;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FedLlm.Transport.Server;

/// <summary>
/// Runs a federation over gRPC: the same round engine, strategies, checkpoints and metrics as the simulation, with
/// clients on other machines behind a <see cref="RemoteClientExecutor"/>. A restarted server resumes from its newest
/// checkpoint; clients reconnect by themselves. The server holds the adapters only for their layout, the initial
/// global vector and the final PEFT export; it never trains or sees data.
/// </summary>
public sealed class FederationServer(SimulationConfig config, ServerSection server, LoraAdapterSet adapters)
{
    /// <summary>Called with each finished round (for the console).</summary>
    public Action<RoundOutcome>? RoundCompleted { get; init; }

    /// <summary>Least severe log level written to stderr.</summary>
    public LogLevel MinimumLogLevel { get; init; } = LogLevel.Information;

    /// <summary>Called once the server listens, with the address it listens on.</summary>
    public Action<string>? Listening { get; init; }

    public static IReadOnlyList<string> Validate(SimulationConfig config, ServerSection server)
    {
        var problems = new List<string>(server.Validate());
        int active = server.Clients.Count(c => !c.Revoked);
        problems.AddRange(NetworkRunLimits.Problems(config, config.RoundSize(active)));
        if (config.Strategy.ClientsPerRound is int k && k > server.Clients.Count)
            problems.Add($"strategy.clients_per_round ({k}) is larger than the number of clients ({server.Clients.Count})");
        if (config.Rounds <= 0) problems.Add($"rounds must be positive, got {config.Rounds}");
        return problems;
    }

    public async Task<float[]> RunAsync(CancellationToken cancellation = default)
    {
        var problems = Validate(config, server);
        if (problems.Count > 0) throw new ArgumentException("invalid server config: " + string.Join("; ", problems));

        var run = new RunDirectory(config.RunDirectory);
        using var database = new RunStateDatabase(run.File("state.db"));
        var names = server.Clients.Select(c => c.Name).ToList();
        var strategy = StrategyFactory.Create(config.Strategy.ToOptions(names.Count, config.Rounds));
        float[] global = adapters.Flatten();
        int firstRound = 0;
        if (run.RestoreLatest(strategy) is var (doneRound, savedGlobal))
        {
            global = savedGlobal;
            firstRound = doneRound + 1;
            database.Event("resumed", null, $"resuming after round {doneRound + 1} of {config.Rounds}");
        }
        else
        {
            run.StartFresh();
        }
        run.WriteJson("config.json", SimulationConfigJson.ToJson(config));

        // Encryption: the server's global stays the public initial adapter; members apply the encrypted aggregates.
        var encryption = CreateEncryption(run, global, firstRound);
        var aggregator = encryption.Enabled ? new EncryptedFedAvgAggregator(encryption.Setup!.Parameters, encryption.Setup.Pruning) : null;
        var plaintextValidator = UpdateValidator.For(strategy, global.Length, config.MaxUpdateNorm);
        var executor = new RemoteClientExecutor(names.Count, TimeSpan.FromSeconds(server.RoundDeadlineSeconds))
        {
            Validator = aggregator is null
                ? (task, update) => plaintextValidator.Validate(update, task.Weights)
                : (task, update) => aggregator.Validate(task.Round, update),
        };
        var counters = new WireCounters();
        var description = new RunDescription(config.Name, global.Length, LayoutDigest(adapters.Layout), config.Rounds);
        await using var app = BuildHost(description, new ClientRegistry(server.Clients), executor, database, counters, encryption);
        await app.StartAsync(cancellation);
        Listening?.Invoke(server.Listen);
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("FedLlm.Server");

        // Revoked members keep their ids (so the others' ids and data stay put) but are never sampled or awaited.
        int[] members = [.. Enumerable.Range(0, names.Count).Where(id => !server.Clients[id].Revoked)];
        var engine = new RoundEngine(strategy, members, config.Seed, config.MaxUpdateNorm) { MinimumClients = server.MinClients, OpaqueAggregator = aggregator };
        int waitFor = server.WaitForClients == 0 ? members.Length : Math.Min(server.WaitForClients, members.Length);
        if (firstRound < config.Rounds)
        {
            logger.LogInformation("waiting for {Count} client(s) to join", waitFor);
            await executor.WaitForJoinedAsync(waitFor, cancellation);
        }
        for (int round = firstRound; round < config.Rounds; round++)
        {
            counters.TakeAndReset();
            // An encrypted round's tasks carry no weights: members train from their own decrypted global.
            var outcome = await engine.RunRoundAsync(round, encryption.Enabled ? [] : global, executor, cancellation);
            var (down, up) = counters.TakeAndReset();
            if (!encryption.Enabled) global = outcome.Global;
            else encryption.Store!.SaveRound(round, outcome.AggregatePayload);
            foreach (var rejected in outcome.Rejected)
            {
                database.Event("rejected", names[rejected.ClientId], $"round {round + 1}: {rejected.Reason}");
                logger.LogWarning("round {Round}: {Name} did not count: {Reason}", round + 1, names[rejected.ClientId], rejected.Reason);
            }
            run.AppendMetrics(RoundMetrics(outcome, down, up, encryption));
            database.CheckpointWritten(round, run.WriteCheckpoint(round, global, strategy));
            encryption.Store?.Completed(round);
            database.RoundFinished(round, outcome.Accepted.Count, outcome.Rejected.Count, outcome.UpdateNorm, down, up, outcome.Seconds);
            logger.LogInformation("round {Round}/{Total}: {Accepted} accepted, {Rejected} rejected, {Up} bytes up, {Down} bytes down",
                round + 1, config.Rounds, outcome.Accepted.Count, outcome.Rejected.Count, up, down);
            RoundCompleted?.Invoke(outcome);
        }
        if (encryption.Enabled)
        {
            // The server never learns the trained adapter; each member writes it from its own decrypted global.
            logger.LogInformation("run finished: the trained adapter exists only at the members (final_adapter in each client's state folder)");
        }
        else
        {
            adapters.Load(global);
            adapters.Save(run.FinalAdapterDirectory);
        }
        RunReport.Write(run);
        executor.Finish();
        encryption.Relay.Finish();
        // Give connected clients a moment to hear that the run is over before the listener closes.
        await Task.Delay(TimeSpan.FromSeconds(2), CancellationToken.None);
        await app.StopAsync(CancellationToken.None);
        return global;
    }

    private ServerEncryption CreateEncryption(RunDirectory run, float[] initialGlobal, int firstRound)
    {
        if (!config.Encryption.Enabled) return ServerEncryption.Off;
        string folder = run.File("encryption");
        var store = firstRound == 0 ? EncryptedRunStore.StartFresh(folder) : EncryptedRunStore.Resume(folder, firstRound);
        int holder = server.KeyHolderId;
        return new ServerEncryption(config.Encryption.CreateSetup(adapters.Layout, config.Seed), holder, server.Clients[holder].Name, store, initialGlobal);
    }

    /// <summary>SHA-256 over the adapter's names and shapes: clients with another LoRA layout are turned away.</summary>
    public static string LayoutDigest(ParameterLayout layout)
    {
        var text = new StringBuilder();
        foreach (var slot in layout.Slots) text.Append(slot.Name).Append('[').AppendJoin(',', slot.Shape).Append("];");
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    private WebApplication BuildHost(RunDescription description, ClientRegistry registry, RemoteClientExecutor executor,
        RunStateDatabase database, WireCounters counters, ServerEncryption encryption)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; });
        // Logs are diagnostics: stderr, like every other fedllm message, so stdout stays machine-readable.
        builder.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.SetMinimumLevel(MinimumLogLevel);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.Logging.AddFilter("Grpc", LogLevel.Warning);
        builder.Services.AddGrpc(o =>
        {
            // Chunks are 1 MiB; headers are small. Anything far above that is not ours.
            o.MaxReceiveMessageSize = 4 * VectorCodec.ChunkBytes;
            o.EnableDetailedErrors = false;
        });
        builder.Services.AddSingleton(description).AddSingleton(registry).AddSingleton(executor)
            .AddSingleton(database).AddSingleton(counters).AddSingleton(server).AddSingleton(new TaskEncoder()).AddSingleton(encryption);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            var address = new Uri(server.Listen);
            void Configure(ListenOptions listen)
            {
                listen.Protocols = HttpProtocols.Http2;
                if (server.Insecure) return;
                var certificate = CertificateTrust.Load(server.Certificate!, server.Key!);
                listen.UseHttps(certificate, https =>
                {
                    if (server.ClientCa is null) return;
                    var ca = CertificateTrust.Load(server.ClientCa);
                    https.ClientCertificateMode = ClientCertificateMode.AllowCertificate;
                    https.ClientCertificateValidation = (presented, _, _) => CertificateTrust.ChainsTo(presented, ca);
                });
            }
            if (address.Host is "localhost") kestrel.ListenLocalhost(address.Port, Configure);
            else kestrel.Listen(IPAddress.Parse(address.Host), address.Port, Configure);
        });
        var app = builder.Build();
        app.MapGrpcService<FederationService>();
        return app;
    }

    /// <summary>The simulation's round record plus what actually crossed the network (and, encrypted, its cost next to fp32).</summary>
    private static JsonObject RoundMetrics(RoundOutcome outcome, long wireDown, long wireUp, ServerEncryption encryption)
    {
        var record = RunMetrics.Round(outcome);
        record["wire_bytes_down"] = wireDown;
        record["wire_bytes_up"] = wireUp;
        if (encryption.Enabled)
        {
            long fp32Up = EncryptedUplinkMetrics.Add(record, outcome, encryption.Setup!.Pruning);
            record["wire_up_ratio_to_fp32"] = fp32Up == 0 ? null : Math.Round(wireUp / (double)fp32Up, 4);
            record["aggregate_bytes"] = outcome.AggregatePayload?.LongLength ?? 0;
            // The server cannot measure the update it aggregated; members can.
            record.Remove("aggregate_update_norm");
        }
        return record;
    }
}
