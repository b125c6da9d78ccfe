using FedLlm.Encryption.Keys;
using FedLlm.Transport.Protocol;
using Grpc.Core;

namespace FedLlm.Transport.Client;

/// <summary>
/// The encryption key's journey between members, through a server that only relays: the key holder seals the key to
/// each waiting member's public key, and every other member waits for its sealed share and opens it.
/// </summary>
public sealed class KeyExchange(ServerConnection connection, MemberEncryption encryption, Action<string> log)
{
    private static readonly TimeSpan RetryPause = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Key holder, alongside its training: announces the key's check value, then collects members waiting for the key,
    /// seals it to each member's public key and posts the sealed shares, until the run is over. A member whose public key
    /// cannot be used is skipped (and logged); connection trouble is retried.
    /// </summary>
    public async Task ServeAsync(CancellationToken cancellation)
    {
        log($"key holder: key-exchange fingerprint {encryption.Identity.Fingerprint}; sharing the encryption key with members as they join");
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
                    try
                    {
                        sealedShares.Add(new KeyShare
                        {
                            ClientId = member.ClientId,
                            PublicKey = member.PublicKey,
                            Sealed = Google.Protobuf.ByteString.CopyFrom(encryption.SealFor(member.ClientId, member.PublicKey.Span)),
                        });
                        log($"key holder: sealed the encryption key for {member.ClientName} (key-exchange fingerprint {KeyExchangeIdentity.FingerprintOf(member.PublicKey.Span)})");
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
    public async Task<bool> ReceiveAsync(JoinReply join, CancellationToken cancellation)
    {
        log($"waiting for key holder {join.Encryption.KeyHolderName} to share the encryption key (this member's key-exchange fingerprint {encryption.Identity.Fingerprint})");
        while (true)
        {
            var reply = await connection.Client.FetchKeyShareAsync(new KeyShareQuery(), connection.Headers, cancellationToken: cancellation);
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
