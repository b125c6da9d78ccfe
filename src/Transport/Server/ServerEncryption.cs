using FedLlm.Federation.Encryption;

namespace FedLlm.Transport.Server;

/// <summary>
/// What the server knows about an encrypted run, all of it public: the settings digest members must match, which member
/// holds the key, the relay for sealed key shares, the run's store (run id, key check value, encrypted aggregates) and
/// the (public, data-free) initial adapter that members start from. Null fields mean the run is not encrypted.
/// </summary>
public sealed class ServerEncryption
{
    public static ServerEncryption Off { get; } = new();

    private ServerEncryption() { }

    /// <summary>The run's public encryption facts; its store is opened later (<see cref="Open"/>), once the server owns the run folder.</summary>
    public ServerEncryption(EncryptionSetup setup, int keyHolderId, string keyHolderName, float[] initialGlobal)
    {
        ArgumentNullException.ThrowIfNull(setup);
        Setup = setup;
        KeyHolderId = keyHolderId;
        KeyHolderName = keyHolderName;
        InitialGlobal = initialGlobal;
    }

    public bool Enabled => Setup is not null;
    public EncryptionSetup? Setup { get; }
    public int KeyHolderId { get; }
    public string KeyHolderName { get; } = "";
    public KeyRelay Relay { get; } = new();
    /// <summary>Null when the run is not encrypted, and for the moment between binding the port and locking the run folder.</summary>
    public EncryptedRunStore? Store { get; private set; }

    /// <summary>Opens the run's store: the server listens and holds the run folder, so it may now write there.</summary>
    public void Open(EncryptedRunStore store) => Store = store ?? throw new ArgumentNullException(nameof(store));

    /// <summary>The store, or Unavailable (a retry will find it) for a call that arrives before <see cref="Open"/>.</summary>
    public EncryptedRunStore RequireStore() =>
        Store ?? throw new Grpc.Core.RpcException(new Grpc.Core.Status(Grpc.Core.StatusCode.Unavailable, "the server is starting; try again"));
    public float[] InitialGlobal { get; } = [];
}
