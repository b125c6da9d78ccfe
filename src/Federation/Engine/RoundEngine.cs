using System.Diagnostics;
using FedLlm.Federation.Strategies;

namespace FedLlm.Federation.Engine;

/// <summary>
/// Runs federated rounds: sample clients, plan, dispatch through an <see cref="IClientExecutor"/>, check each update
/// once, aggregate with the strategy (or, under encryption, sum ciphertexts with the strategy's weights). Shared by the
/// simulation and the network server; it never knows which transport is used.
/// </summary>
public sealed class RoundEngine
{
    private readonly ServerStrategy _strategy;
    private readonly IReadOnlyList<int> _clientIds;
    private readonly int _federationSize;
    private readonly ulong _runSeed;
    private readonly UpdateValidator? _validator;

    /// <param name="clientIds">The members that may be sampled (revoked members are left out).</param>
    /// <param name="federationSize">N, every client of the federation (SCAFFOLD divides by it); at least the member count.</param>
    /// <param name="parameterCount">The adapter's length; every plaintext update must have it.</param>
    public RoundEngine(ServerStrategy strategy, IReadOnlyList<int> clientIds, int federationSize, ulong runSeed, int parameterCount,
        double? maxUpdateNorm = null, IOpaqueUpdateAggregator? opaqueAggregator = null)
    {
        _strategy = strategy ?? throw new ArgumentNullException(nameof(strategy));
        _clientIds = clientIds ?? throw new ArgumentNullException(nameof(clientIds));
        _federationSize = Math.Max(federationSize, clientIds.Count);
        _runSeed = runSeed;
        OpaqueAggregator = opaqueAggregator;
        if (opaqueAggregator is not null && strategy.Capabilities.WhyNotEncrypted is { } why)
            throw new InvalidOperationException($"'{strategy.Name}' cannot aggregate opaque (encrypted) updates: {why}");
        if (opaqueAggregator is null) _validator = UpdateValidator.For(strategy, parameterCount, maxUpdateNorm);
    }

    public ServerStrategy Strategy => _strategy;

    public IReadOnlyList<int> ClientIds => _clientIds;

    /// <summary>Vectors of clients that train alone (the local-only baseline), read and written by the caller's store.</summary>
    public Func<int, float[]?>? LocalWeightsOf { get; init; }

    /// <summary>Minimum accepted results for a round to aggregate; below it the global stays unchanged.</summary>
    public int MinimumClients { get; init; } = 1;

    /// <summary>
    /// Rejects a plaintext update farther from its start than this multiple of the median of the round's accepted updates
    /// (with three or more of them); 0 = off. See <see cref="Configuration.RunConfig.MaxUpdateNormRatio"/>.
    /// </summary>
    public double MaxUpdateNormRatio { get; init; }

    /// <summary>Set to aggregate opaque payloads (ciphertexts): the strategy still samples and plans, members run its step.</summary>
    public IOpaqueUpdateAggregator? OpaqueAggregator { get; }

    /// <summary>
    /// Set under <c>privacy.mode: dp_sgd</c>: every update must come with its client's privacy report. The report is how
    /// the run learns each client's ε, and an update without one cannot show it was trained with DP-SGD at all (a member
    /// started with another config, or an older client), so it is refused rather than averaged in.
    /// </summary>
    public bool RequiresClientPrivacy { get; init; }

    /// <summary>
    /// The one check of a client's answer: null when its update may be aggregated, otherwise why not. A network transport
    /// calls it as the answer arrives (so the client hears the reason) and hands the verdict to the engine with the result.
    /// </summary>
    public string? Check(ClientTask task, ClientResult result)
    {
        var update = result.Update;
        return update.ClientId != task.ClientId ? $"answered as client {update.ClientId}"
            : RequiresClientPrivacy && result.Metrics.Privacy is null
                ? $"client {update.ClientId}: no DP-SGD privacy report with the update, and privacy.mode dp_sgd accepts only updates that carry one"
            : OpaqueAggregator is { } opaque ? opaque.Validate(task.Round, update)
            : _validator!.Validate(update, task.Weights);
    }

    public async Task<RoundOutcome> RunRoundAsync(int round, float[] global, IClientExecutor executor, CancellationToken cancellation = default)
    {
        var clock = Stopwatch.StartNew();
        var sampled = _strategy.SampleClients(round, _clientIds, _runSeed);
        var plan = _strategy.PlanRound(round, global);
        long planBytes = plan.Vectors.Values.Sum(v => (long)v.Length * sizeof(float));

        var accepted = new List<ClientResult>();
        var rejected = new List<RejectedClient>();
        long bytesDown = 0, bytesUp = 0;
        // All sampled clients work at once (over a network they run in parallel); results are then taken in sampled
        // order, so aggregation is the same whatever order they finish in.
        var dispatched = new List<(ClientTask Task, Task<ClientResult> Work)>();
        foreach (int clientId in sampled)
        {
            float[] start = _strategy.IsLocalOnly ? LocalWeightsOf?.Invoke(clientId) ?? global : global;
            bytesDown += (long)start.Length * sizeof(float) + planBytes;
            var task = new ClientTask(round, clientId, start, plan);
            dispatched.Add((task, Dispatch(executor, task, cancellation)));
        }
        foreach (var (task, work) in dispatched)
        {
            ClientResult result;
            try
            {
                result = await work;
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellation.IsCancellationRequested)
            {
                rejected.Add(new RejectedClient(task.ClientId, $"client failed: {e.Message}"));
                continue;
            }
            bytesUp += ((long)result.Update.Weights.Length + result.Update.Extras.Values.Sum(v => (long)v.Length)) * sizeof(float)
                + (result.Update.EncryptedPayload?.LongLength ?? 0);
            string? problem = result.Verdict is { } verdict ? verdict.Problem : Check(task, result);
            if (problem is not null) rejected.Add(new RejectedClient(task.ClientId, problem));
            else accepted.Add(result);
        }

        if (OpaqueAggregator is null && !_strategy.IsLocalOnly && MaxUpdateNormRatio > 0)
            RejectOutsized(accepted, rejected, dispatched.ToDictionary(d => d.Task.ClientId, d => d.Task.Weights));

        float[] next = global;
        byte[]? aggregatePayload = null;
        bool aggregated = !_strategy.IsLocalOnly && accepted.Count >= Math.Max(1, MinimumClients);
        if (aggregated)
        {
            var updates = accepted.Select(r => r.Update).ToList();
            if (OpaqueAggregator is { } opaque)
            {
                aggregatePayload = opaque.Aggregate(round, updates, _strategy.Capabilities.Mean!);
                _strategy.RoundAggregated(round);
            }
            else
            {
                next = _strategy.Aggregate(round, global, updates, _federationSize);
            }
        }

        // A local-only client starts from and keeps its own weights: handing them over inside one process is not traffic.
        if (_strategy.IsLocalOnly) bytesDown = bytesUp = 0;
        return new RoundOutcome(round, next, sampled, accepted, rejected, AggregationMath.Distance(global, next), bytesDown, bytesUp, clock.Elapsed.TotalSeconds)
        {
            AggregatePayload = aggregatePayload,
            Aggregated = aggregated,
        };
    }

    /// <summary>
    /// Moves updates whose distance from their start exceeds <see cref="MaxUpdateNormRatio"/> × the median distance from
    /// <paramref name="accepted"/> to <paramref name="rejected"/>. The median of three or more is set by honest clients
    /// as long as most are honest, so a few outsized updates cannot move the bound.
    /// </summary>
    private void RejectOutsized(List<ClientResult> accepted, List<RejectedClient> rejected, IReadOnlyDictionary<int, float[]> starts)
    {
        if (accepted.Count < 3) return;
        var norms = accepted.Select(r => AggregationMath.Distance(starts[r.Update.ClientId], r.Update.Weights)).ToArray();
        var sorted = norms.Order().ToArray();
        double median = sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
        if (!(median > 0)) return;
        double bound = MaxUpdateNormRatio * median;
        for (int i = accepted.Count - 1; i >= 0; i--)
        {
            if (norms[i] <= bound) continue;
            rejected.Add(new RejectedClient(accepted[i].Update.ClientId, string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"update norm {norms[i]:G4} is above max_update_norm_ratio {MaxUpdateNormRatio:G4} × the round's median {median:G4}")));
            accepted.RemoveAt(i);
        }
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
