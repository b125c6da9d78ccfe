namespace FedLlm.Transport.Protocol;

/// <summary>The protocol's version and the names of the vectors that travel, in one place for server and client.</summary>
public static class ProtocolConstants
{
    /// <summary>
    /// 5: a key holder's refusal of a member key it has not pinned (KeyShare.refused, KeyShareReply.refused).
    /// (4: sessions, leases and leaving, the layout checked at join. 3: evaluation tasks, client-side DP noise plans,
    /// client privacy reports, task failures, federated DPO.)
    /// </summary>
    public const uint Version = 5;

    /// <summary>Metadata header with the member's bearer token.</summary>
    public const string AuthorizationHeader = "authorization";

    /// <summary>Metadata header with the session a join returned.</summary>
    public const string SessionHeader = "fedllm-session";

    /// <summary>The adapter weights (a task's global, a plaintext update).</summary>
    public const string WeightsVector = "weights";

    /// <summary>Encryption: the member's encrypted update (opaque).</summary>
    public const string CiphertextVector = "ciphertext";

    /// <summary>Encryption catch-up: the public initial adapter (fp32).</summary>
    public const string InitialVector = "initial";

    /// <summary>Encryption catch-up: each round's encrypted aggregate (opaque), named by this prefix and the 0-based round.</summary>
    public const string AggregatePrefix = "aggregate/";
}
