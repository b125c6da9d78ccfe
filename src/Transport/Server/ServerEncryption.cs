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

    public ServerEncryption(EncryptionSetup setup, int keyHolderId, string keyHolderName, EncryptedRunStore store, float[] initialGlobal)
    {
        ArgumentNullException.ThrowIfNull(setup);
        Setup = setup;
        KeyHolderId = keyHolderId;
        KeyHolderName = keyHolderName;
        Store = store;
        InitialGlobal = initialGlobal;
    }

    public bool Enabled => Setup is not null;
    public EncryptionSetup? Setup { get; }
    public int KeyHolderId { get; }
    public string KeyHolderName { get; } = "";
    public KeyRelay Relay { get; } = new();
    public EncryptedRunStore? Store { get; }
    public float[] InitialGlobal { get; } = [];
}
