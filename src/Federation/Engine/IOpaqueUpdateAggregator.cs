using FedLlm.Federation.Strategies;

namespace FedLlm.Federation.Engine;

/// <summary>
/// Server-side aggregation of updates the server cannot read (e.g. ciphertexts): each update carries
/// <see cref="ClientUpdate.EncryptedPayload"/> instead of weights, and the round's result is an opaque payload the
/// clients turn into the new global themselves, by running the strategy's server step on the mean it holds.
/// Implementations hold no secret and never see a plaintext vector.
/// </summary>
public interface IOpaqueUpdateAggregator
{
    /// <summary>Null when the update's payload is well-formed for <paramref name="round"/>, otherwise why it is refused.</summary>
    string? Validate(int round, ClientUpdate update);

    /// <summary>The weighted sum of validated updates (weights from <paramref name="mean"/>), as bytes to broadcast.</summary>
    byte[] Aggregate(int round, IReadOnlyList<ClientUpdate> updates, MeanRule mean);
}
