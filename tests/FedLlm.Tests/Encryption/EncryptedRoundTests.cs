using FedLlm.Federation.Encryption;
using FedLlm.Encryption.Keys;
using FedLlm.Federation.Engine;
using FedLlm.Federation.Pruning;
using FedLlm.Federation.Strategies;
using FedLlm.Models.Lora;
using FedLlm.Encryption.Homomorphic;

namespace FedLlm.Tests.Encryption;

/// <summary>How a scripted client corrupts its upload.</summary>
public enum Corruption
{
    None,
    Truncated,
    OtherParameters,
    WrongLength,
    Garbage,
    PlaintextToo,
}

/// <summary>
/// Clients whose "training" is a fixed vector per client (no model): they encrypt trained − start like real clients,
/// and one of them may corrupt its upload.
/// </summary>
internal sealed class ScriptedEncryptingClients(EncryptedUpdateClient client, IReadOnlyDictionary<int, float[]> trained,
    IReadOnlyDictionary<int, long> sampleCounts, float[] global, int badClient = -1, Corruption corruption = Corruption.None) : IClientExecutor
{
    public Task<ClientResult> ExecuteAsync(ClientTask task, CancellationToken cancellation)
    {
        int id = task.ClientId;
        byte[] payload = client.EncryptUpdate(id, task.Round, global, trained[id]);
        float[] weights = [];
        if (id == badClient)
        {
            using var otherKey = HeSecretKey.Generate(EncryptedRoundTests.OtherParameters);
            int length = client.Pruning.UploadLength(task.Round);
            payload = corruption switch
            {
                Corruption.Truncated => payload[..^9],
                Corruption.OtherParameters => new HeEncryptor(EncryptedRoundTests.OtherParameters, otherKey).Encrypt(new float[length]).ToBytes(),
                Corruption.WrongLength => new HeEncryptor(client.Parameters, EncryptedRoundTests.Key).Encrypt(new float[length + 1]).ToBytes(),
                Corruption.Garbage => [.. Enumerable.Repeat((byte)7, payload.Length)],
                _ => payload,
            };
            if (corruption == Corruption.PlaintextToo) weights = trained[id];
        }
        var update = new ClientUpdate(id, sampleCounts[id], weights) { EncryptedPayload = payload };
        return Task.FromResult(new ClientResult(update, new ClientTrainingMetrics(0, 1, 1, 1, 0)));
    }
}

public class EncryptedRoundTests
{
    internal static readonly HeParameters Parameters = HeParameters.Create(clipBound: 1.0, maxClients: 8);
    internal static readonly HeParameters OtherParameters = HeParameters.Create(ringDegree: 2048, clipBound: 0.5, fractionalBits: 16, maxClients: 8, maxWeight: 64);
    internal static readonly HeSecretKey Key = HeSecretKey.Generate(Parameters);

    private static readonly ParameterLayout Layout = new([("lora_A", [4L, 8L]), ("lora_B", [8L, 4L])]);
    private static readonly int[] ClientIds = [0, 1, 2, 3];

    [Theory]
    [InlineData(Corruption.Truncated, "malformed ciphertext")]
    [InlineData(Corruption.OtherParameters, "malformed ciphertext")]
    [InlineData(Corruption.WrongLength, "expects")]
    [InlineData(Corruption.Garbage, "malformed ciphertext")]
    [InlineData(Corruption.PlaintextToo, "plaintext")]
    public async Task ABadCiphertextIsRejectedAndTheOthersAggregate(Corruption corruption, string reason)
    {
        var plan = new PruningPlan(PruningMode.SharedMask, new PruningSchedule(0.25, 0.25, 0, 0), Layout, runSeed: 5);
        using var keys = ClientKeyStore.Distribute(Parameters, 0, ClientIds);
        var client = new EncryptedUpdateClient(Parameters, keys, plan);
        var random = new Random(3);
        float[] global = [.. Enumerable.Range(0, 64).Select(_ => (float)random.NextDouble() - 0.5f)];
        var trained = ClientIds.ToDictionary(id => id, _ => global.Select(g => g + (float)(random.NextDouble() * 0.2 - 0.1)).ToArray());
        var counts = new Dictionary<int, long> { [0] = 3, [1] = 5, [2] = 7, [3] = 11 };
        var strategy = new FedAvgStrategy(new StrategyOptions { Algorithm = "fedavg", TotalClients = 4, TotalRounds = 1 });
        var engine = new RoundEngine(strategy, ClientIds, 4, 1, 64, opaqueAggregator: new EncryptedFedAvgAggregator(Parameters, plan));

        RoundOutcome outcome = await engine.RunRoundAsync(0, [], new ScriptedEncryptingClients(client, trained, counts, global, badClient: 2, corruption));

        RejectedClient rejected = Assert.Single(outcome.Rejected);
        Assert.Equal(2, rejected.ClientId);
        Assert.Contains(reason, rejected.Reason);
        Assert.Contains("client 2", rejected.Reason);
        Assert.Equal([0, 1, 3], outcome.Accepted.Select(r => r.Update.ClientId));
        Assert.NotNull(outcome.AggregatePayload);

        float[] next = strategy.Step(0, global, client.DecryptMeanDelta(1, 0, outcome.AggregatePayload, strategy.Capabilities.Mean!));
        SharedPruningMask mask = plan.MaskFor(0)!;
        double tolerance = Parameters.DecodingErrorBound + 1e-6;
        for (int j = 0; j < global.Length; j++)
        {
            double expected = mask.KeptIndices.Contains(j)
                ? global[j] + new[] { 0, 1, 3 }.Sum(id => counts[id] * ((double)trained[id][j] - global[j])) / (3 + 5 + 11)
                : global[j];
            Assert.True(Math.Abs(next[j] - expected) <= tolerance, $"value {j}: {next[j]} vs {expected}");
        }
    }

    [Fact]
    public void TheEngineRefusesEncryptedAggregationForAStrategyThatReadsUpdatesOneByOne()
    {
        var plan = new PruningPlan(PruningMode.None, new PruningSchedule(), Layout, 5);
        var scaffold = new ScaffoldStrategy(new StrategyOptions { Algorithm = "scaffold", TotalClients = 4, TotalRounds = 1 });
        var error = Assert.Throws<InvalidOperationException>(() =>
            new RoundEngine(scaffold, ClientIds, 4, 1, 64, opaqueAggregator: new EncryptedFedAvgAggregator(Parameters, plan)));
        Assert.Contains("scaffold", error.Message);
        Assert.Contains("scaffold.delta_c", error.Message);
    }
}
