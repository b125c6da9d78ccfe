using System.Diagnostics;
using System.Text.Json.Nodes;
using FedLlm.Federation.Encryption;
using FedLlm.Federation.Engine;
using FedLlm.Federation.Pruning;
using FedLlm.Federation.Strategies;
using FedLlm.Models.Lora;
using FedLlm.Encryption.Homomorphic;

namespace FedLlm.Bench;

/// <summary>
/// Encrypted aggregation against plaintext FedAvg on the same vector: encrypt/add/decrypt throughput (values per second
/// on one core: the library is single-threaded), bytes on the wire relative to fp32, and the server's per-round cost
/// (validate + sum K ciphertexts) next to FedAvgStrategy.Aggregate of K plaintext vectors.
/// </summary>
public static class EncryptionBenchmark
{
    /// <param name="args">Optional: parameter count P (default 1,048,576) and clients K (default 4).</param>
    public static JsonObject Run(string[] args)
    {
        int count = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 1 << 20;
        int clients = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 4;
        HeParameters parameters = HeParameters.Create();
        var random = new Random(1);
        float[][] updates = [.. Enumerable.Range(0, clients).Select(_ => Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() * 0.02 - 0.01)).ToArray())];
        long[] weights = [.. Enumerable.Range(0, clients).Select(i => 100L + 37 * i)];

        using var key = HeSecretKey.Generate(parameters);
        var encryptor = new HeEncryptor(parameters, key);
        var decryptor = new HeDecryptor(parameters, key);
        byte[][] uplinks = [.. updates.Select(u => encryptor.Encrypt(u).ToBytes())];

        double encryptSeconds = CpuSeconds(() => encryptor.Encrypt(updates[0]));
        EncryptedVector parsed = EncryptedVector.FromBytes(uplinks[0], parameters);
        double addSeconds = CpuSeconds(() => new HeAggregator(parameters).Add(parsed, 3));
        var aggregator = new HeAggregator(parameters);
        for (int i = 0; i < clients; i++) aggregator.Add(EncryptedVector.FromBytes(uplinks[i], parameters), weights[i]);
        EncryptedVector sum = aggregator.Result();
        double decryptSeconds = CpuSeconds(() => decryptor.Decrypt(sum, sum.TotalWeight));

        // Per-round server work: encrypted (validate, parse, weighted sum, serialise) vs plaintext FedAvg.
        var layout = new ParameterLayout([("adapter", [(long)count])]);
        var plan = new PruningPlan(PruningMode.None, new PruningSchedule(), layout, 1);
        var server = new EncryptedFedAvgAggregator(parameters, plan);
        var encryptedUpdates = uplinks.Select((bytes, i) => new ClientUpdate(i, weights[i], []) { EncryptedPayload = bytes }).ToList();
        double encryptedRound = CpuSeconds(() =>
        {
            foreach (ClientUpdate update in encryptedUpdates) _ = server.Validate(0, update);
            server.Aggregate(0, encryptedUpdates, FedAvgStrategy.Kind.Capabilities.Mean!);
        });
        var strategy = new FedAvgStrategy(new StrategyOptions { Algorithm = "fedavg", TotalClients = clients });
        float[] global = new float[count];
        var plainUpdates = updates.Select((u, i) => new ClientUpdate(i, weights[i], u)).ToList();
        var validator = UpdateValidator.For(strategy, count);
        double plainRound = CpuSeconds(() =>
        {
            foreach (ClientUpdate update in plainUpdates) _ = validator.Validate(update, global);
            strategy.Aggregate(0, global, plainUpdates, clients);
        });

        float[] mean = decryptor.Decrypt(sum, sum.TotalWeight);
        double maxError = 0;
        for (int j = 0; j < count; j++)
        {
            double expected = 0;
            for (int i = 0; i < clients; i++) expected += weights[i] * (double)updates[i][j];
            maxError = Math.Max(maxError, Math.Abs(mean[j] - expected / weights.Sum()));
        }

        long fp32 = (long)count * sizeof(float);
        int maskedCount = SharedPruningMask.KeptCountFor(layout, 0.5);
        return new JsonObject
        {
            ["benchmark"] = "encryption",
            ["values"] = count,
            ["clients"] = clients,
            ["ring_degree"] = parameters.RingDegree,
            ["coefficient_bits"] = parameters.CoefficientBits,
            ["threads"] = 1,
            ["encrypt_values_per_s_per_core"] = Math.Round(count / encryptSeconds),
            ["add_values_per_s_per_core"] = Math.Round(count / addSeconds),
            ["decrypt_values_per_s_per_core"] = Math.Round(count / decryptSeconds),
            ["decrypt_terms"] = clients,
            ["uplink_bytes"] = uplinks[0].LongLength,
            ["downlink_bytes"] = sum.SerializedSize,
            ["fp32_bytes"] = fp32,
            ["uplink_ratio_to_fp32"] = Math.Round(uplinks[0].LongLength / (double)fp32, 4),
            ["downlink_ratio_to_fp32"] = Math.Round(sum.SerializedSize / (double)fp32, 4),
            ["shared_mask_0_5_uplink_ratio_to_fp32"] = Math.Round(EncryptedVector.SerializedSizeOf(maskedCount, termCount: 1, parameters) / (double)fp32, 4),
            ["server_round_seconds_encrypted"] = Math.Round(encryptedRound, 4),
            ["server_round_seconds_plaintext"] = Math.Round(plainRound, 4),
            ["server_round_overhead"] = Math.Round(encryptedRound / plainRound, 2),
            ["max_abs_error_vs_plaintext_mean"] = maxError,
            ["decoding_error_bound"] = parameters.DecodingErrorBound,
        };
    }

    /// <summary>Median CPU time of the action on this thread (the machine is shared, so wall time would count neighbours).</summary>
    private static double CpuSeconds(Action action)
    {
        action();
        var times = new double[3];
        for (int i = 0; i < times.Length; i++)
        {
            TimeSpan before = Process.GetCurrentProcess().TotalProcessorTime;
            action();
            times[i] = (Process.GetCurrentProcess().TotalProcessorTime - before).TotalSeconds;
        }
        Array.Sort(times);
        return Math.Max(times[1], 1e-6);
    }
}
