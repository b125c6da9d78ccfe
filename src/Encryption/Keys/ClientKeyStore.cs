using System.Security.Cryptography;
using FedLlm.Encryption.Homomorphic;

namespace FedLlm.Encryption.Keys;

/// <summary>
/// Client-side custody of the shared HE secret key, one copy per client. The key holder (client 0 by convention)
/// generates it from the OS CSPRNG (<see cref="HeSecretKey.Generate"/>) and hands the exported bytes to every other
/// client; in the simulation that hand-over is in memory, in a deployment it is a <see cref="SealedKeyShare"/> relayed
/// by the server, which cannot open it. No server-side object may reference this store (a reflection test checks the server object graph).
/// </summary>
public sealed class ClientKeyStore : IDisposable
{
    private readonly Dictionary<int, HeSecretKey> _keys = [];

    private ClientKeyStore(int keyHolder) => KeyHolder = keyHolder;

    public int KeyHolder { get; }

    public IReadOnlyCollection<int> ClientIds => _keys.Keys;

    /// <summary>The key holder generates a fresh key; every other client imports its exported bytes, which are then zeroed.</summary>
    public static ClientKeyStore Distribute(HeParameters parameters, int keyHolder, IEnumerable<int> clientIds)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(clientIds);
        var store = new ClientKeyStore(keyHolder);
        try
        {
            HeSecretKey holderKey = HeSecretKey.Generate(parameters);
            store._keys[keyHolder] = holderKey;
            byte[] exported = holderKey.Export();
            try
            {
                foreach (int client in clientIds.Where(id => id != keyHolder).Distinct())
                {
                    store._keys[client] = HeSecretKey.Import(exported, parameters);
                }
            }
            finally
            {
                CryptographicOperations.ZeroMemory(exported);
            }
            return store;
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    /// <summary>One member's custody in a deployment: the key it generated (as key holder) or received, and nothing else.</summary>
    public static ClientKeyStore Holding(int keyHolder, int clientId, HeSecretKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var store = new ClientKeyStore(keyHolder);
        store._keys[clientId] = key;
        return store;
    }

    public HeSecretKey KeyOf(int clientId) =>
        _keys.TryGetValue(clientId, out HeSecretKey? key)
            ? key
            : throw new KeyNotFoundException($"client {clientId} has not received the encryption key from key holder {KeyHolder}");

    public void Dispose()
    {
        foreach (HeSecretKey key in _keys.Values) key.Dispose();
        _keys.Clear();
    }
}
