using FedLlm.Federation.Configuration;
using FedLlm.Federation.Safety;
using FedLlm.Federation.Strategies;
using FedLlm.Federation.Synthesis;
using FedLlm.Models;

namespace FedLlm.Federation.Runs;

/// <summary><c>fedllm simulate</c>: the run driver with the in-process transport, over data prepared (and so checked) beforehand.</summary>
public static class Simulation
{
    /// <param name="mode">New (refused over an earlier run), resume from the newest intact checkpoint, or replace an earlier run.</param>
    public static async Task<RunResult> RunAsync(RunConfig config, PretrainedModel model, RunData data, IRunObserver? observer = null,
        StartMode mode = StartMode.New, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(data);
        var run = new RunDirectory(config.RunDirectory);
        // FedIT-U2S / FedGC: each client writes or augments its training records before round 1.
        data = await ClientSynthesis.PrepareAsync(config, data, run, observer, cancellation);
        // Malicious clients (attack:) train on attack records instead of their own.
        data = await AttackData.ApplyAsync(config, data, run, observer, cancellation);
        var adapters = RunSetup.AttachAdapters(model, config);
        var strategy = config.CreateStrategy(data.Clients.Count, data.Clients.Count);
        using var transport = new InProcessFederation(config, model, adapters, data, run, strategy);
        var safety = ServerSafety.Needed(config) ? new ServerSafety(config, model, adapters) : null;
        return await new FederatedRun(config, run, strategy, adapters, transport, observer, safety).RunAsync(mode, cancellation);
    }
}
