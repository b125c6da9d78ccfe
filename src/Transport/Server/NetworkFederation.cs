using System.Text.Json.Nodes;
using FedLlm.Federation.Client;
using FedLlm.Federation.Encryption;
using FedLlm.Federation.Engine;
using FedLlm.Federation.Runs;
using FedLlm.Federation.Strategies;

namespace FedLlm.Transport.Server;

/// <summary>
/// The deployment's transport: members on other machines behind a <see cref="RemoteClientExecutor"/>. Training and
/// evaluation tasks go out over gRPC; the server records what crossed the wire, keeps its state in SQLite and, under
/// encryption, stores each round's encrypted aggregate for members to catch up from. It never holds data or keys.
/// </summary>
public sealed class NetworkFederation(
    ServerSection server,
    RemoteClientExecutor executor,
    RunStateDatabase database,
    WireCounters counters,
    ServerEncryption encryption,
    MemberRoster roster) : FederationTransport
{
    private readonly EncryptedFedAvgAggregator? _aggregator =
        encryption.Enabled ? new EncryptedFedAvgAggregator(encryption.Setup!.Parameters, encryption.Setup.Pruning) : null;

    /// <summary>Revoked members keep their ids (so the others' ids and data stay put) but are never sampled or awaited.</summary>
    public override IReadOnlyList<int> Members { get; } = [.. Enumerable.Range(0, server.Clients.Count).Where(id => !server.Clients[id].Revoked)];

    public override int FederationSize => server.Clients.Count;

    public override IClientExecutor Executor => executor;

    public override int MinimumClients => server.MinClients;

    public override IOpaqueUpdateAggregator? OpaqueAggregator => _aggregator;

    /// <summary>Encrypted: only the members hold the trained global; the server keeps the public initial one.</summary>
    public override bool HoldsGlobal => !encryption.Enabled;

    public override void Start(RunStart start)
    {
        if (start.ResumedAfterRound is int done) database.Event("resumed", null, $"resuming after round {done + 1}");
    }

    // wait_for_clients, when set, is a number of joins; otherwise every member counts once it joined or was given up
    // on, and at least min_clients must have joined, so a server started before its members does not fail its rounds.
    public override Task ReadyAsync(CancellationToken cancellation) => server.WaitForClients > 0
        ? executor.WaitForJoinedAsync(Math.Min(server.WaitForClients, Members.Count), Math.Min(server.WaitForClients, Members.Count), cancellation)
        : executor.WaitForJoinedAsync(Members.Count, Math.Min(server.MinClients, Members.Count), cancellation);

    public override float[] AfterRound(RoundOutcome outcome, float[] global)
    {
        if (!encryption.Enabled) return outcome.Global;
        encryption.Store!.SaveRound(outcome.Round, outcome.AggregatePayload);
        return global;
    }

    /// <summary>What actually crossed the network (and, encrypted, its cost next to fp32).</summary>
    public override void AddRoundMetrics(JsonObject record, RoundOutcome outcome, float[] previousGlobal)
    {
        var (down, up) = counters.TakeAndReset();
        record["wire_bytes_down"] = down;
        record["wire_bytes_up"] = up;
        database.RoundFinished(outcome.Round, outcome.Accepted.Count, outcome.Rejected.Count, outcome.UpdateNorm, down, up, outcome.Seconds);
        foreach (var rejected in outcome.Rejected) database.Event("rejected", server.Clients[rejected.ClientId].Name, $"round {outcome.Round + 1}: {rejected.Reason}");
        if (record["failed"] is JsonValue failed) database.Event("round-failed", null, $"round {outcome.Round + 1}: {failed.GetValue<string>()}");
        if (!encryption.Enabled) return;
        long fp32Up = EncryptedUplinkMetrics.Add(record, outcome, encryption.Setup!.Pruning);
        record["wire_up_ratio_to_fp32"] = fp32Up == 0 ? null : Math.Round(up / (double)fp32Up, 4);
        record["aggregate_bytes"] = outcome.AggregatePayload?.LongLength ?? 0;
        // The server cannot measure the update it aggregated; members can.
        record.Remove("aggregate_update_norm");
    }

    public override void Checkpointed(int round, string folder)
    {
        database.CheckpointWritten(round, folder);
        encryption.Store?.Completed(round);
    }

    /// <summary>
    /// Flower's configure/aggregate-evaluate: every active member scores the model on its own held-out data (under
    /// encryption, its own decrypted global) and answers with loss, accuracy and count; a member that does not answer by
    /// the deadline is left out of this evaluation.
    /// </summary>
    public override async Task<EvaluationResult> EvaluateAsync(int round, EvaluatedModel model, float[]? weights, CancellationToken cancellation)
    {
        var plan = new RoundPlan(Math.Max(round, 0), 0);
        var task = (int id) => new ClientTask(round, id, weights ?? [], plan);
        var answers = await Task.WhenAll(Members.Select(id => executor.EvaluateAsync(task(id), model == EvaluatedModel.Base, cancellation)));
        counters.TakeAndReset(); // evaluation traffic is not a round's
        return new EvaluationResult([.. answers.OfType<ClientScore>()], null);
    }

    public override IReadOnlyList<FederationMember> DescribeMembers() => roster.Describe();

    public override async Task FinishAsync(CancellationToken cancellation)
    {
        executor.Finish();
        encryption.Relay.Finish();
        // Give connected clients a moment to hear that the run is over before the listener closes.
        await Task.Delay(TimeSpan.FromSeconds(2), CancellationToken.None);
    }
}
