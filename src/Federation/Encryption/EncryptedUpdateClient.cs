using FedLlm.Federation.Pruning;
using FedLlm.Federation.Strategies;
using FedLlm.Encryption.Keys;
using FedLlm.Encryption.Homomorphic;

namespace FedLlm.Federation.Encryption;

/// <summary>
/// The clients' half of encrypted aggregation. Uplink: Δ = trained − start, pruned by the plan, clipped to [−B, B] and
/// encrypted under the client's copy of the shared key. Downlink: decrypt the aggregate into the strategy's mean Δ
/// (scattered by the round's mask when one is shared), which <see cref="MemberGlobal"/> hands to the strategy's step.
/// </summary>
public sealed class EncryptedUpdateClient(HeParameters parameters, ClientKeyStore keys, PruningPlan pruning)
{
    public HeParameters Parameters => parameters;

    public PruningPlan Pruning => pruning;

    public byte[] EncryptUpdate(int clientId, int round, ReadOnlySpan<float> start, ReadOnlySpan<float> trained)
    {
        if (start.Length != trained.Length || start.Length != pruning.ParameterCount)
        {
            throw new ArgumentException($"client {clientId}: start has {start.Length} values and trained {trained.Length}; the adapter has {pruning.ParameterCount}");
        }
        var delta = new float[trained.Length];
        for (int j = 0; j < delta.Length; j++) delta[j] = trained[j] - start[j];
        float[] upload = pruning.PrepareUpload(round, delta);
        return new HeEncryptor(parameters, keys.KeyOf(clientId)).Encrypt(upload).ToBytes();
    }

    /// <summary>
    /// The round's full-length mean delta: Σ w_i·Δ_i / Σ w_i, or, for a fixed-denominator mean (client-side DP-FedAvg),
    /// Σ Δ_i / m.
    /// </summary>
    /// <exception cref="InvalidDataException">The aggregate is malformed or made with other parameters.</exception>
    public double[] DecryptMeanDelta(int clientId, int round, ReadOnlySpan<byte> aggregate, MeanRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        EncryptedVector sum = EncryptedVector.FromBytes(aggregate, parameters);
        int expected = pruning.UploadLength(round);
        if (sum.Length != expected)
        {
            throw new InvalidDataException($"client {clientId}: the round {round} aggregate holds {sum.Length} values; expected {expected}");
        }
        float[] mean = new HeDecryptor(parameters, keys.KeyOf(clientId)).Decrypt(sum, sum.TotalWeight);
        double[] delta = pruning.ExpandMean(round, mean);
        if (rule.FixedDenominator is int m)
        {
            double scale = (double)sum.TotalWeight / m;
            for (int j = 0; j < delta.Length; j++) delta[j] *= scale;
        }
        return delta;
    }
}
