namespace FedLlm.Federation.Strategies;

/// <summary>What one client sends back after local training in a round.</summary>
public sealed class ClientUpdate
{
    private static readonly IReadOnlyDictionary<string, float[]> NoExtras = new Dictionary<string, float[]>();

    public ClientUpdate(int clientId, long sampleCount, float[] weights, IReadOnlyDictionary<string, float[]>? extras = null)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ClientId = clientId;
        SampleCount = sampleCount;
        Weights = weights;
        Extras = extras ?? NoExtras;
    }

    public int ClientId { get; }

    /// <summary>n_i: the size of the client's full local dataset (not the round's subset); FedAvg weights by it.</summary>
    public long SampleCount { get; }

    /// <summary>The client's trained flat LoRA vector (length P).</summary>
    public float[] Weights { get; }

    /// <summary>Algorithm-specific vectors, keyed by <see cref="ExchangeKeys"/> (e.g. SCAFFOLD's Δc_i).</summary>
    public IReadOnlyDictionary<string, float[]> Extras { get; }

    /// <summary>
    /// An opaque, transport-neutral payload (under encryption: the serialized ciphertext of the client's pruned delta),
    /// aggregated by an <see cref="Engine.IOpaqueUpdateAggregator"/>; <see cref="Weights"/> is then empty. A plain byte
    /// array so a transport can stream it as it is.
    /// </summary>
    public byte[]? EncryptedPayload { get; init; }
}
