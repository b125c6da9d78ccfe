using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using FedLlm.Federation.Configuration;
using FedLlm.Federation.Runs;
using FedLlm.Federation.Safety;
using FedLlm.Models;
using FedLlm.Federation.Strategies;
using FedLlm.Models.Lora;
using FedLlm.Transport.Protocol;
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
/// Runs a federation over gRPC: the one run driver (<see cref="FederatedRun"/>) with the network transport
/// (<see cref="NetworkFederation"/>), so strategies, checks, evaluation, checkpoints, metrics and reports are the
/// simulation's. A restarted server resumes from its newest checkpoint; clients reconnect by themselves. The server holds
/// the adapters only for their layout, the initial global vector and the final PEFT export; it never sees client data, and trains only for the post-hoc defense (<c>defense:</c>) on its own samples.
/// </summary>
public sealed class FederationServer(RunConfig config, ServerSection server, LoraAdapterSet adapters)
{
    /// <summary>The model the adapters are attached to: needed when the config asks the server for safety work (defense, refusal evaluation).</summary>
    public PretrainedModel? Model { get; init; }

    /// <summary>Progress of the run (the console).</summary>
    public IRunObserver? Observer { get; init; }

    /// <summary>Least severe log level written to stderr.</summary>
    public LogLevel MinimumLogLevel { get; init; } = LogLevel.Information;

    /// <summary>Called once the server listens, with the address it listens on.</summary>
    public Action<string>? Listening { get; init; }

    /// <summary>Every problem of the server section and of the run config for this federation, found before anything is written.</summary>
    public static IReadOnlyList<string> Validate(RunConfig config, ServerSection server)
    {
        var problems = new List<string>(server.Validate());
        problems.AddRange(config.Validate(RunPurpose.Serve));
        int active = server.Clients.Count(c => !c.Revoked);
        if (active > 0)
        {
            problems.AddRange(config.Encryption.Validate(config.Strategy.Algorithm, null, config.RoundSize(active)));
            problems.AddRange(config.Robust.Validate(config.RoundSize(active)));
            if (problems.Count == 0) problems.AddRange(StrategyRegistry.Validate(config.StrategyOptions(server.Clients.Count)));
        }
        return problems;
    }

    /// <summary>
    /// Checks everything (config, run folder), binds the port, takes the run folder, and only then writes: a server that
    /// cannot start, or that would resume a different run, leaves the folder exactly as it was.
    /// </summary>
    public async Task<RunResult> RunAsync(CancellationToken cancellation = default)
    {
        var run = new RunDirectory(config.RunDirectory);
        var problems = Validate(config, server).Concat(FederatedRun.CheckFolder(config, run, StartMode.Resume)).ToList();
        if (ServerSafety.Needed(config) && Model is null) problems.Add("defense / evaluation.safety need the server's model, which this server was started without");
        if (problems.Count > 0) throw new ArgumentException("invalid server config: " + string.Join("; ", problems));

        int federationSize = server.Clients.Count;
        var strategy = config.CreateStrategy(federationSize, server.Clients.Count(c => !c.Revoked));
        float[] initial = adapters.Flatten();
        using var presence = new MemberPresence(federationSize, TimeSpan.FromSeconds(server.LeaseSeconds));
        var executor = new RemoteClientExecutor(federationSize, TimeSpan.FromSeconds(server.RoundDeadlineSeconds), presence.GoneReason);
        var counters = new WireCounters();
        var roster = new MemberRoster([.. server.Clients.Select(c => c.Name)]);
        var description = new RunDescription(config.Name, initial.Length, LayoutDigest.Of(adapters.Layout), config.Rounds, federationSize,
            UpdateVectors(strategy));
        using var database = new RunStateDatabase(run.File("state.db"));
        var encryption = config.Encryption.Enabled
            ? new ServerEncryption(config.Encryption.CreateSetup(adapters.Layout, config), server.KeyHolderId, server.Clients[server.KeyHolderId].Name, initial)
            : ServerEncryption.Off;
        var registry = new ClientRegistry(server.Clients, server.ClientCa is null ? null : CertificateTrust.Load(server.ClientCa));
        await using var app = BuildHost(description, registry, executor, database, counters, encryption, roster, presence);
        DashboardEndpoints.Map(app, new DashboardView(config, server, run, database, TimeProvider.System), registry, DashboardAccesses.Names.Parse(server.Dashboard, "server.dashboard"));
        var presenceLog = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("FedLlm.Server");
        presence.WentAway += (id, reason) =>
        {
            executor.FailOpenWork(id, reason);
            database.Event("gone", server.Clients[id].Name, reason);
            presenceLog.LogWarning("rounds go on without {Name} ({Reason}) until it is heard from", server.Clients[id].Name, reason);
        };
        presence.Replaced += (id, earlier, now) =>
        {
            database.Event("replaced", server.Clients[id].Name, $"a new session from {now} replaced the one from {earlier}");
            presenceLog.LogWarning("{Name} joined again from {Now} while its session from {Earlier} was in use: the earlier session is replaced", server.Clients[id].Name, now, earlier);
        };
        await StartListeningAsync(app, cancellation);
        try
        {
            run.Lock();
            database.Enable();
            // The encrypted store must know where the run resumes before any member can ask for a catch-up.
            if (encryption.Enabled) encryption.Open(OpenStore(run));
            Listening?.Invoke(server.Listen);
            var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("FedLlm.Server");

            var transport = new NetworkFederation(server, executor, database, counters, encryption, roster);
            var observer = new RunObservers([new ServerLog(logger, server), .. Observer is null ? [] : new[] { Observer }]);
            if (config.Rounds > 0) logger.LogInformation("waiting for {Count} client(s) to join", server.WaitForClients == 0 ? transport.Members.Count : server.WaitForClients);
            var safety = ServerSafety.Needed(config) ? new ServerSafety(config, Model!, adapters) : null;
            var result = await new FederatedRun(config, run, strategy, adapters, transport, observer, safety).RunAsync(StartMode.Resume, cancellation);
            if (encryption.Enabled)
                logger.LogInformation("run finished: the trained adapter exists only at the members (final_adapter in each client's state folder)");
            return result;
        }
        finally
        {
            await app.StopAsync(CancellationToken.None);
            run.Unlock();
        }
    }

    /// <summary>The vectors a training answer may carry: the ciphertext under encryption; otherwise the weights and the extras the strategy needs.</summary>
    private IReadOnlySet<string> UpdateVectors(ServerStrategy strategy) => config.Encryption.Enabled
        ? new HashSet<string>([ProtocolConstants.CiphertextVector], StringComparer.Ordinal)
        : new HashSet<string>([ProtocolConstants.WeightsVector, .. strategy.RequiredUpdateExtras], StringComparer.Ordinal);

    /// <summary>Binds the listener; a port in use (or any bind failure) is one line naming the address.</summary>
    private async Task StartListeningAsync(WebApplication app, CancellationToken cancellation)
    {
        try
        {
            await app.StartAsync(cancellation);
        }
        catch (IOException e)
        {
            throw new IOException($"cannot listen on {server.Listen}: {(e.InnerException ?? e).Message}", e);
        }
    }

    /// <summary>The encrypted run's store, fresh or resumed at the same checkpoint the run driver will restore.</summary>
    private static EncryptedRunStore OpenStore(RunDirectory run)
    {
        string folder = run.File("encryption");
        return run.LatestCheckpoint() is { } checkpoint ? EncryptedRunStore.Resume(folder, checkpoint.Round + 1) : EncryptedRunStore.StartFresh(folder);
    }

    private WebApplication BuildHost(RunDescription description, ClientRegistry registry, RemoteClientExecutor executor,
        RunStateDatabase database, WireCounters counters, ServerEncryption encryption, MemberRoster roster, MemberPresence presence)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; });
        // Logs are diagnostics: stderr, like every other fedllm message, so stdout stays machine-readable.
        builder.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.SetMinimumLevel(MinimumLogLevel);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        // A failed start (a port in use) is reported once, by StartListeningAsync; the host's own stack-traced line would repeat it.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting", MinimumLogLevel <= LogLevel.Debug ? LogLevel.Warning : LogLevel.None);
        builder.Logging.AddFilter("Grpc", LogLevel.Warning);
        builder.Services.AddGrpc(o =>
        {
            // Chunks are 1 MiB; headers are small. Anything far above that is not ours.
            o.MaxReceiveMessageSize = 4 * VectorCodec.ChunkBytes;
            o.EnableDetailedErrors = false;
        });
        builder.Services.AddSingleton(description).AddSingleton(registry).AddSingleton(executor)
            .AddSingleton(database).AddSingleton(counters).AddSingleton(server).AddSingleton(new TaskEncoder()).AddSingleton(encryption).AddSingleton(roster).AddSingleton(presence);
        // The watch needs the logger, which exists only once the host is built: it reads it through this holder.
        Action<string> report = _ => { };
        var watch = new HandshakeWatch(!server.Insecure, message => report(message));
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // Pings find a member whose machine vanished without closing its connection; its long poll then ends.
            kestrel.Limits.Http2.KeepAlivePingDelay = TimeSpan.FromSeconds(Math.Max(1, server.LeaseSeconds / 2));
            kestrel.Limits.Http2.KeepAlivePingTimeout = TimeSpan.FromSeconds(Math.Max(1, server.LeaseSeconds / 2));
            var address = new Uri(server.Listen);
            void Configure(ListenOptions listen)
            {
                // HTTP/1.1 beside HTTP/2 lets a browser open the dashboard; gRPC clients still speak HTTP/2.
                listen.Protocols = HttpProtocols.Http1AndHttp2;
                listen.Use(watch.Outer);
                if (server.Insecure) return;
                var certificate = CertificateTrust.Load(server.Certificate!, server.Key!);
                listen.UseHttps(certificate, https =>
                {
                    if (server.ClientCa is null) return;
                    https.ClientCertificateMode = ClientCertificateMode.AllowCertificate;
                    // Any certificate passes the handshake (its key is still proven); the client registry then checks
                    // its chain on every call, so a foreign certificate gets a refusal that says why, not a dropped connection.
                    https.ClientCertificateValidation = (_, _, _) => true;
                });
                listen.Use(watch.Inner);
            }
            if (address.Host is "localhost") kestrel.ListenLocalhost(address.Port, Configure);
            else kestrel.Listen(IPAddress.Parse(address.Host), address.Port, Configure);
        });
        var app = builder.Build();
        app.MapGrpcService<FederationService>();
        report = HandshakeWatch.Reporter(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("FedLlm.Server"), database);
        return app;
    }
}
