using FedLlm.Federation.Pruning;
using FedLlm.Encryption.Keys;
using FedLlm.Encryption.Homomorphic;

namespace FedLlm.Federation.Encryption;

/// <summary>
/// The clients' half of encrypted FedAvg. Uplink: Δ = trained − start, pruned by the plan, clipped to [−B, B] and
/// encrypted under the client's copy of the shared key. Downlink: decrypt the aggregate into the weighted mean Δ and
/// apply it, global + mean Δ (scattered by the round's mask when one is shared).
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

    /// <summary>The new global: <paramref name="global"/> plus the decrypted weighted mean delta.</summary>
    /// <exception cref="InvalidDataException">The aggregate is malformed or made with other parameters.</exception>
    public float[] ApplyAggregate(int clientId, int round, ReadOnlySpan<float> global, ReadOnlySpan<byte> aggregate)
    {
        EncryptedVector sum = EncryptedVector.FromBytes(aggregate, parameters);
        int expected = pruning.UploadLength(round);
        if (sum.Length != expected)
        {
            throw new InvalidDataException($"client {clientId}: the round {round} aggregate holds {sum.Length} values; expected {expected}");
        }
        float[] mean = new HeDecryptor(parameters, keys.KeyOf(clientId)).Decrypt(sum, sum.TotalWeight);
        float[] next = global.ToArray();
        pruning.ApplyMean(round, mean, next);
        return next;
    }
}
