using FedLlm.Federation.Strategies;

namespace FedLlm.Federation.Engine;

/// <summary>
/// Server-side aggregation of updates the server cannot read (e.g. ciphertexts): each update carries
/// <see cref="ClientUpdate.EncryptedPayload"/> instead of weights, and the round's result is an opaque payload the
/// clients turn into the new global themselves. Implementations hold no secret and never see a plaintext vector.
/// </summary>
public interface IOpaqueUpdateAggregator
{
    /// <summary>Server algorithms whose aggregation this can stand in for (canonical names).</summary>
    IReadOnlyList<string> SupportedAlgorithms { get; }

    /// <summary>Null when the update's payload is well-formed for <paramref name="round"/>, otherwise why it is refused.</summary>
    string? Validate(int round, ClientUpdate update);

    /// <summary>The aggregate of validated updates, as bytes to broadcast to the clients.</summary>
    byte[] Aggregate(int round, IReadOnlyList<ClientUpdate> updates);
}
