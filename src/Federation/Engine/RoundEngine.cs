using System.Diagnostics;
using FedLlm.Federation.Strategies;

namespace FedLlm.Federation.Engine;

/// <summary>
/// Runs federated rounds: sample clients, plan, dispatch through an <see cref="IClientExecutor"/>, validate each update,
/// aggregate with the strategy. Shared by the simulation and the network server; it never knows which transport is used.
/// </summary>
public sealed class RoundEngine(ServerStrategy strategy, IReadOnlyList<int> clientIds, ulong runSeed, double? maxUpdateNorm = null)
{
    private UpdateValidator? _validator;

    public ServerStrategy Strategy => strategy;

    public IReadOnlyList<int> ClientIds => clientIds;

    /// <summary>Vectors of clients that train alone (the local-only baseline), read and written by the caller's store.</summary>
    public Func<int, float[]?>? LocalWeightsOf { get; init; }

    /// <summary>Minimum accepted results for a round to aggregate; below it the global stays unchanged.</summary>
    public int MinimumClients { get; init; } = 1;

    /// <summary>
    /// Set to aggregate opaque payloads (e.g. ciphertexts) instead of plaintext weights: the aggregator validates and
    /// sums them, the strategy still samples and plans, and the outcome carries the aggregate while its global is unchanged.
    /// </summary>
    public IOpaqueUpdateAggregator? OpaqueAggregator { get; init; }

    public async Task<RoundOutcome> RunRoundAsync(int round, float[] global, IClientExecutor executor, CancellationToken cancellation = default)
    {
        var clock = Stopwatch.StartNew();
        if (OpaqueAggregator is { } opaqueCheck && !opaqueCheck.SupportedAlgorithms.Contains(strategy.Name))
            throw new InvalidOperationException($"'{strategy.Name}' cannot aggregate opaque (encrypted) updates; supported: {string.Join(", ", opaqueCheck.SupportedAlgorithms)}");
        var sampled = strategy.SampleClients(round, clientIds, runSeed);
        var plan = strategy.PlanRound(round, global);
        long planBytes = plan.Vectors.Values.Sum(v => (long)v.Length * sizeof(float));

        var accepted = new List<ClientResult>();
        var rejected = new List<RejectedClient>();
        long bytesDown = 0, bytesUp = 0;
        // All sampled clients work at once (over a network they run in parallel); results are then taken in sampled
        // order, so aggregation is the same whatever order they finish in.
        var dispatched = new List<(int ClientId, float[] Start, Task<ClientResult> Work)>();
        foreach (int clientId in sampled)
        {
            float[] start = strategy.IsLocalOnly ? LocalWeightsOf?.Invoke(clientId) ?? global : global;
            bytesDown += (long)start.Length * sizeof(float) + planBytes;
            dispatched.Add((clientId, start, Dispatch(executor, new ClientTask(round, clientId, start, plan), cancellation)));
        }
        foreach (var (clientId, start, work) in dispatched)
        {
            ClientResult result;
            try
            {
                result = await work;
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellation.IsCancellationRequested)
            {
                rejected.Add(new RejectedClient(clientId, $"client failed: {e.Message}"));
                continue;
            }
            bytesUp += ((long)result.Update.Weights.Length + result.Update.Extras.Values.Sum(v => (long)v.Length)) * sizeof(float)
                + (result.Update.EncryptedPayload?.LongLength ?? 0);
            if (result.Update.ClientId != clientId)
            {
                rejected.Add(new RejectedClient(clientId, $"answered as client {result.Update.ClientId}"));
                continue;
            }
            string? problem = OpaqueAggregator is { } opaque
                ? opaque.Validate(round, result.Update)
                : (_validator ??= UpdateValidator.For(strategy, global.Length, maxUpdateNorm)).Validate(result.Update, start);
            if (problem is not null) rejected.Add(new RejectedClient(clientId, problem));
            else accepted.Add(result);
        }

        float[] next = global;
        byte[]? aggregatePayload = null;
        if (!strategy.IsLocalOnly && accepted.Count >= Math.Max(1, MinimumClients))
        {
            var updates = accepted.Select(r => r.Update).ToList();
            if (OpaqueAggregator is { } opaque) aggregatePayload = opaque.Aggregate(round, updates);
            else next = strategy.Aggregate(round, global, updates, clientIds.Count);
        }

        return new RoundOutcome(round, next, sampled, accepted, rejected, AggregationMath.Distance(global, next), bytesDown, bytesUp, clock.Elapsed.TotalSeconds)
        {
            AggregatePayload = aggregatePayload,
        };
    }

    /// <summary>Starts one client's work; a synchronous failure becomes a failed task so the other clients still run.</summary>
    private static Task<ClientResult> Dispatch(IClientExecutor executor, ClientTask task, CancellationToken cancellation)
    {
        try
        {
            return executor.ExecuteAsync(task, cancellation);
        }
        catch (Exception e)
        {
            return Task.FromException<ClientResult>(e);
        }
    }
}
