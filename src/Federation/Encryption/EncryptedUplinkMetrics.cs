using System.Text.Json.Nodes;
using FedLlm.Federation.Engine;
using FedLlm.Federation.Pruning;

namespace FedLlm.Federation.Encryption;

/// <summary>The uplink cost of an encrypted round next to plaintext fp32 FedAvg, as the simulation and the server record it.</summary>
public static class EncryptedUplinkMetrics
{
    /// <summary>Adds encrypted_bytes_up, fp32_bytes_up, their ratio, values per client and the pruning rate; returns fp32_bytes_up.</summary>
    public static long Add(JsonObject record, RoundOutcome outcome, PruningPlan pruning)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(outcome);
        ArgumentNullException.ThrowIfNull(pruning);
        long up = outcome.Accepted.Sum(r => r.Update.EncryptedPayload?.LongLength ?? 0);
        long fp32Up = (long)outcome.Accepted.Count * pruning.ParameterCount * sizeof(float);
        record["encrypted_bytes_up"] = up;
        record["fp32_bytes_up"] = fp32Up;
        record["encrypted_up_ratio_to_fp32"] = fp32Up == 0 ? null : Math.Round(up / (double)fp32Up, 4);
        record["encrypted_values_per_client"] = pruning.UploadLength(outcome.Round);
        record["pruning_rate"] = pruning.RateAt(outcome.Round);
        return fp32Up;
    }
}
