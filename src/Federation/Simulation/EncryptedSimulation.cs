using System.Text.Json.Nodes;
using FedLlm.Encryption.Keys;
using FedLlm.Federation.Encryption;
using FedLlm.Federation.Engine;
using FedLlm.Federation.Pruning;
using FedLlm.Federation.Strategies;
using FedLlm.Models.Lora;
using FedLlm.Encryption.Homomorphic;

namespace FedLlm.Federation.Simulation;

/// <summary>
/// Wires encrypted FedAvg into a simulated run, keeping the two sides apart: <see cref="ServerAggregator"/> is what the
/// round engine gets (public parameters only); the key store, the encrypting executor and the clients' global stay on
/// the client side. After each round the clients decrypt the broadcast aggregate (<see cref="FinishRound"/>).
/// </summary>
public sealed class EncryptedSimulation : IDisposable
{
    private readonly ClientKeyStore _keys;
    private readonly EncryptedUpdateClient _client;
    private readonly EncryptingExecutor _executor;
    private readonly int _clientCount;

    private EncryptedSimulation(EncryptionSection section, ParameterLayout layout, IReadOnlyList<int> clientIds, ulong seed, IClientExecutor inner, float[] global)
    {
        (Parameters, Pruning) = section.CreateSetup(layout, seed);
        _keys = ClientKeyStore.Distribute(Parameters, clientIds[0], clientIds);
        _client = new EncryptedUpdateClient(Parameters, _keys, Pruning);
        _executor = new EncryptingExecutor(inner, _client, global);
        ServerAggregator = new EncryptedFedAvgAggregator(Parameters, Pruning);
        _clientCount = clientIds.Count;
    }

    public HeParameters Parameters { get; }
    public PruningPlan Pruning { get; }

    /// <summary>Server side: give this to the <see cref="RoundEngine"/>.</summary>
    public IOpaqueUpdateAggregator ServerAggregator { get; }

    /// <summary>Client side: the executor the engine dispatches to.</summary>
    public IClientExecutor Executor => _executor;

    /// <summary>The clients' current global (plaintext; the server never holds it).</summary>
    public float[] ClientGlobal => _executor.ClientGlobal;

    /// <summary>Null unless <c>encryption.enabled</c>; key holder is the first client id.</summary>
    public static EncryptedSimulation? CreateOrNull(EncryptionSection section, ParameterLayout layout, IReadOnlyList<int> clientIds, ulong seed,
        IClientExecutor inner, float[] global) =>
        section.Enabled ? new EncryptedSimulation(section, layout, clientIds, seed, inner, global) : null;

    /// <summary>Every client decrypts the round's aggregate and applies it; returns the new global (unchanged if the round did not aggregate).</summary>
    public float[] FinishRound(RoundOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        if (outcome.AggregatePayload is { } aggregate)
        {
            // Every client computes the same vector; the simulation decrypts once, as the key holder.
            _executor.ClientGlobal = _client.ApplyAggregate(_keys.KeyHolder, outcome.Round, _executor.ClientGlobal, aggregate);
        }
        return _executor.ClientGlobal;
    }

    /// <summary>Wire cost of the round next to what plaintext fp32 FedAvg would have sent.</summary>
    public void AddMetrics(JsonObject record, RoundOutcome outcome, float[] previousGlobal)
    {
        EncryptedUplinkMetrics.Add(record, outcome, Pruning);
        long down = (outcome.AggregatePayload?.LongLength ?? 0) * _clientCount; // broadcast to every client
        long fp32Down = outcome.AggregatePayload is null ? 0 : (long)_clientCount * Pruning.ParameterCount * sizeof(float);
        record["encrypted_bytes_down"] = down;
        record["fp32_bytes_down"] = fp32Down;
        record["encrypted_down_ratio_to_fp32"] = fp32Down == 0 ? null : Math.Round(down / (double)fp32Down, 4);
        // The server cannot measure the update it aggregated; the clients can.
        record["aggregate_update_norm"] = AggregationMath.Distance(previousGlobal, ClientGlobal);
    }

    public void Dispose() => _keys.Dispose();
}
