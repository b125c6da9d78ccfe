using FedLlm.Encryption.Keys;
using FedLlm.Transport.Protocol;
using Grpc.Core;

namespace FedLlm.Transport.Client;

/// <summary>
/// The encryption key's journey between members, through a server that only relays: the key holder seals the key to
/// each waiting member's public key that is pinned for that member (and tells the server which it refuses), and every
/// other member waits for its sealed share and opens it.
/// </summary>
public sealed class KeyExchange(ServerConnection connection, MemberEncryption encryption, Action<string> log)
{
    private static readonly TimeSpan RetryPause = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Key holder, alongside its training: announces the key's check value, then collects members waiting for the key,
    /// seals it to each member's public key and posts the sealed shares, until the run is over. A relayed key not pinned
    /// for its member is refused (logged, and the server told); one that cannot be used is skipped (and logged);
    /// connection trouble is retried.
    /// </summary>
    public async Task ServeAsync(CancellationToken cancellation)
    {
        log($"key holder: key-exchange fingerprint {encryption.Identity.Fingerprint}; sharing the encryption key with members as they join");
        if (encryption.MemberPins is { } pins)
            log($"key holder: sealing only to the {pins.Count} member key(s) pinned in {pins.Path}");
        else
            log("WARNING: key holder: client.trust_server_relayed_keys is set, so the encryption key is sealed to whatever member keys the server relays; " +
                "a server that substitutes its own key can decrypt every update. Pin members' keys with client.member_fingerprints_file");
        var keyCheck = Google.Protobuf.ByteString.CopyFrom(encryption.KeyCheck);
        var sealedShares = new List<KeyShare>();
        while (true)
        {
            string? session = connection.Session;
            try
            {
                // Every post carries the key check value; the first has no shares, so the server records the value
                // before any member can need it.
                var post = new KeyShares { KeyCheck = keyCheck };
                post.Shares.AddRange(sealedShares);
                await connection.Client.PostKeySharesAsync(post, connection.Headers, cancellationToken: cancellation);
                sealedShares.Clear();
                var requests = await connection.Client.FetchKeyRequestsAsync(new KeyRequestsQuery(), connection.Headers, cancellationToken: cancellation);
                if (requests.RunFinished) return;
                foreach (var member in requests.Requests)
                {
                    string fingerprint = KeyFingerprint.Of(member.PublicKey.Span);
                    if (!encryption.MaySealFor(member.ClientId, member.ClientName, member.PublicKey.Span))
                    {
                        sealedShares.Add(new KeyShare { ClientId = member.ClientId, PublicKey = member.PublicKey, Refused = true });
                        log($"key holder: refused to seal the encryption key for {member.ClientName}: the server relayed key-exchange fingerprint {fingerprint}, " +
                            $"which {encryption.MemberPins?.Path ?? "client.member_fingerprints_file"} does not pin for {member.ClientName} (a substituted key, or a member whose key changed)");
                        continue;
                    }
                    try
                    {
                        sealedShares.Add(new KeyShare
                        {
                            ClientId = member.ClientId,
                            PublicKey = member.PublicKey,
                            Sealed = Google.Protobuf.ByteString.CopyFrom(encryption.SealFor(member.ClientId, member.ClientName, member.PublicKey.Span)),
                        });
                        log($"key holder: sealed the encryption key for {member.ClientName} (key-exchange fingerprint {fingerprint})");
                    }
                    catch (InvalidDataException e)
                    {
                        log($"key holder: cannot seal the key for {member.ClientName}: {e.Message}");
                    }
                }
            }
            catch (Exception) when (cancellation.IsCancellationRequested)
            {
                return;
            }
            catch (RpcException e) when (ServerConnection.IsTransient(e.StatusCode))
            {
                await Task.Delay(RetryPause, CancellationToken.None);
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.FailedPrecondition && connection.Session != session)
            {
                // This process rejoined (after a server restart) while the call was under way: the refusal was for its old session.
            }
            catch (RpcException e)
            {
                log($"key holder: the server refused the key shares: {e.Status.Detail}");
                return;
            }
        }
    }

    /// <summary>
    /// A member other than the key holder waits until the key holder's sealed share arrives, then opens and checks it.
    /// False when the run ended without one.
    /// </summary>
    /// <exception cref="InvalidOperationException">The key holder refused to seal the key to the key the server relayed for this member.</exception>
    public async Task<bool> ReceiveAsync(JoinReply join, CancellationToken cancellation)
    {
        log($"waiting for key holder {join.Encryption.KeyHolderName} to share the encryption key (this member's key-exchange fingerprint {encryption.Identity.Fingerprint})");
        while (true)
        {
            var reply = await connection.Client.FetchKeyShareAsync(new KeyShareQuery(), connection.Headers, cancellationToken: cancellation);
            if (reply.Refused)
            {
                throw new InvalidOperationException($"key holder {join.Encryption.KeyHolderName} refused to share the encryption key: the key-exchange key the server " +
                    $"relayed for this member is not the one pinned in its client.member_fingerprints_file (this member's fingerprint is {encryption.Identity.Fingerprint})");
            }
            if (reply.Sealed.IsEmpty)
            {
                if (reply.RunFinished) return false;
                continue;
            }
            string holder = encryption.AcceptShare(reply.Sealed.Span, reply.KeyCheck.Span);
            log($"received the encryption key from {join.Encryption.KeyHolderName} (key-exchange fingerprint {holder})");
            return true;
        }
    }
}
