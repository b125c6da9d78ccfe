using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using FedLlm.Federation.Configuration;
using FedLlm.Federation.Runs;
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
/// Runs a federation over gRPC: the one run driver (<see cref="FederatedRun"/>) with the network transport
/// (<see cref="NetworkFederation"/>), so strategies, checks, evaluation, checkpoints, metrics and reports are the
/// simulation's. A restarted server resumes from its newest checkpoint; clients reconnect by themselves. The server holds
/// the adapters only for their layout, the initial global vector and the final PEFT export; it never trains or sees data.
/// </summary>
public sealed class FederationServer(RunConfig config, ServerSection server, LoraAdapterSet adapters)
{
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

    public async Task<RunResult> RunAsync(CancellationToken cancellation = default)
    {
        var problems = Validate(config, server);
        if (problems.Count > 0) throw new ArgumentException("invalid server config: " + string.Join("; ", problems));

        var run = new RunDirectory(config.RunDirectory);
        int federationSize = server.Clients.Count;
        var strategy = config.CreateStrategy(federationSize, server.Clients.Count(c => !c.Revoked));
        float[] initial = adapters.Flatten();
        var executor = new RemoteClientExecutor(federationSize, TimeSpan.FromSeconds(server.RoundDeadlineSeconds));
        var counters = new WireCounters();
        var roster = new MemberRoster([.. server.Clients.Select(c => c.Name)]);
        var description = new RunDescription(config.Name, initial.Length, LayoutDigest(adapters.Layout), config.Rounds, federationSize);
        using var database = new RunStateDatabase(run.File("state.db"));
        // The encrypted store must know where the run resumes before any member can ask for a catch-up.
        var encryption = CreateEncryption(run, initial, run.LatestCheckpoint() is var (doneRound, _, _) ? doneRound + 1 : 0);
        var registry = new ClientRegistry(server.Clients);
        await using var app = BuildHost(description, registry, executor, database, counters, encryption, roster);
        DashboardEndpoints.Map(app, new DashboardView(config, server, run, database, TimeProvider.System), registry, DashboardAccesses.Names.Parse(server.Dashboard, "server.dashboard"));
        await app.StartAsync(cancellation);
        Listening?.Invoke(server.Listen);
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("FedLlm.Server");

        var transport = new NetworkFederation(server, executor, database, counters, encryption, roster);
        var observer = new RunObservers([new ServerLog(logger, server), .. Observer is null ? [] : new[] { Observer }]);
        if (config.Rounds > 0) logger.LogInformation("waiting for {Count} client(s) to join", server.WaitForClients == 0 ? transport.Members.Count : server.WaitForClients);
        var result = await new FederatedRun(config, run, strategy, adapters, transport, observer).RunAsync(resume: true, cancellation);
        if (encryption.Enabled)
            logger.LogInformation("run finished: the trained adapter exists only at the members (final_adapter in each client's state folder)");
        await app.StopAsync(CancellationToken.None);
        return result;
    }

    private ServerEncryption CreateEncryption(RunDirectory run, float[] initialGlobal, int firstRound)
    {
        if (!config.Encryption.Enabled) return ServerEncryption.Off;
        string folder = run.File("encryption");
        var store = firstRound == 0 ? EncryptedRunStore.StartFresh(folder) : EncryptedRunStore.Resume(folder, firstRound);
        int holder = server.KeyHolderId;
        return new ServerEncryption(config.Encryption.CreateSetup(adapters.Layout, config), holder, server.Clients[holder].Name, store, initialGlobal);
    }

    /// <summary>SHA-256 over the adapter's names and shapes: clients with another LoRA layout are turned away.</summary>
    public static string LayoutDigest(ParameterLayout layout)
    {
        var text = new StringBuilder();
        foreach (var slot in layout.Slots) text.Append(slot.Name).Append('[').AppendJoin(',', slot.Shape).Append("];");
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    private WebApplication BuildHost(RunDescription description, ClientRegistry registry, RemoteClientExecutor executor,
        RunStateDatabase database, WireCounters counters, ServerEncryption encryption, MemberRoster roster)
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
            .AddSingleton(database).AddSingleton(counters).AddSingleton(server).AddSingleton(new TaskEncoder()).AddSingleton(encryption).AddSingleton(roster);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            var address = new Uri(server.Listen);
            void Configure(ListenOptions listen)
            {
                // HTTP/1.1 beside HTTP/2 lets a browser open the dashboard; gRPC clients still speak HTTP/2.
                listen.Protocols = HttpProtocols.Http1AndHttp2;
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
}
