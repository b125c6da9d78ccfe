using FedLlm.Encryption.Keys;

namespace FedLlm.Transport.Client;

/// <summary>
/// What a member of an encrypted run checks keys against, all of it compared out of band rather than taken from the
/// server: the key holder's fingerprint (whose shares a member accepts) and, on the key holder, the members' fingerprints
/// (to whose keys it seals). <see cref="TrustServerRelayedKeys"/> is the explicit opt-out of the latter.
/// </summary>
/// <param name="KeyHolder">Full fingerprint (normalised) of the key holder's key-exchange key; null: accept any holder.</param>
/// <param name="Members">The key holder's pins; null: none (the key holder then refuses to act unless <paramref name="TrustServerRelayedKeys"/>).</param>
public sealed record KeyPins(string? KeyHolder, MemberFingerprints? Members, bool TrustServerRelayedKeys)
{
    /// <summary>No pins and no trust: fine for a member, refused for a key holder.</summary>
    public static KeyPins None { get; } = new(null, null, false);
}
