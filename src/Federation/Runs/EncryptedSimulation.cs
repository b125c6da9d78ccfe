using System.Text.Json.Nodes;
using FedLlm.Encryption.Homomorphic;
using FedLlm.Encryption.Keys;
using FedLlm.Federation.Configuration;
using FedLlm.Federation.Encryption;
using FedLlm.Federation.Engine;
using FedLlm.Federation.Pruning;
using FedLlm.Federation.Strategies;
using FedLlm.Models.Lora;

namespace FedLlm.Federation.Runs;

/// <summary>
/// Wires encrypted aggregation into a simulated run, keeping the two sides apart: <see cref="ServerAggregator"/> is what
/// the round engine gets (public parameters only); the key store, the encrypting executor and the members' global stay on
/// the client side. After each round the members decrypt the aggregate and run the strategy's step
/// (<see cref="FinishRound"/>); every member computes the same vector, so the simulation keeps one.
/// </summary>
public sealed class EncryptedSimulation : IDisposable
{
    public const string MemberStateFile = "member-strategy.bin";

    private readonly ClientKeyStore _keys;
    private readonly EncryptingExecutor _executor;
    private readonly MemberGlobal _members;
    private readonly int _clientCount;
    private readonly int _keyHolder;

    /// <param name="memberStrategy">A second strategy built from the same config: the members' copy of the server step's state.</param>
    public EncryptedSimulation(RunConfig config, ParameterLayout layout, IReadOnlyList<int> clientIds, IClientExecutor inner, float[] global,
        ServerStrategy memberStrategy)
    {
        var setup = config.Encryption.CreateSetup(layout, config);
        (Parameters, Pruning) = (setup.Parameters, setup.Pruning);
        _keyHolder = clientIds[0];
        _keys = ClientKeyStore.Distribute(Parameters, _keyHolder, clientIds);
        var client = new EncryptedUpdateClient(Parameters, _keys, Pruning);
        _members = new MemberGlobal(client, memberStrategy, global);
        _executor = new EncryptingExecutor(inner, client, () => _members.Global);
        ServerAggregator = new EncryptedFedAvgAggregator(Parameters, Pruning);
        _clientCount = clientIds.Count;
    }

    public HeParameters Parameters { get; }
    public PruningPlan Pruning { get; }

    /// <summary>Server side: give this to the <see cref="RoundEngine"/>.</summary>
    public IOpaqueUpdateAggregator ServerAggregator { get; }

    /// <summary>Client side: the executor the engine dispatches to.</summary>
    public IClientExecutor Executor => _executor;

    /// <summary>The members' current global (plaintext; the server never holds it).</summary>
    public float[] ClientGlobal => _members.Global;

    /// <summary>Every member decrypts the round's aggregate and steps; returns the new global (unchanged if the round did not aggregate).</summary>
    public float[] FinishRound(RoundOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        if (outcome.AggregatePayload is { } aggregate) _members.Apply(_keyHolder, outcome.Round, aggregate);
        return _members.Global;
    }

    /// <summary>The members' step state, saved in each checkpoint so a resumed simulation continues bit for bit.</summary>
    public byte[] MemberState() => _members.StrategyState();

    public void Restore(float[] global, byte[] memberState) => _members.Restore(global, memberState);

    /// <summary>Wire cost of the round next to what plaintext fp32 FedAvg would have sent.</summary>
    public void AddMetrics(JsonObject record, RoundOutcome outcome, float[] previousGlobal)
    {
        EncryptedUplinkMetrics.Add(record, outcome, Pruning);
        long down = (outcome.AggregatePayload?.LongLength ?? 0) * _clientCount; // broadcast to every client
        long fp32Down = outcome.AggregatePayload is null ? 0 : (long)_clientCount * Pruning.ParameterCount * sizeof(float);
        record["encrypted_bytes_down"] = down;
        record["fp32_bytes_down"] = fp32Down;
        record["encrypted_down_ratio_to_fp32"] = fp32Down == 0 ? null : Math.Round(down / (double)fp32Down, 4);
        // The server cannot measure the update it aggregated; the members can.
        record["aggregate_update_norm"] = AggregationMath.Distance(previousGlobal, ClientGlobal);
    }

    public void Dispose() => _keys.Dispose();
}
