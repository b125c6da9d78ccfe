using System.Security.Cryptography;
using FedLlm.Encryption.Homomorphic;

namespace FedLlm.Encryption.Keys;

/// <summary>
/// A public fingerprint of the shared HE key: the first 16 bytes of SHA-256 over a fixed label and the exported key.
/// The key has 4096 uniform ternary coefficients, so the hash reveals nothing usable; the server records it so a
/// key holder cannot silently switch keys mid-run, and members check the key they receive against it.
/// </summary>
public static class KeyCheckValue
{
    public static byte[] Of(HeSecretKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        byte[] exported = key.Export();
        try
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            hash.AppendData("fedllm he key check v1"u8);
            hash.AppendData(exported);
            return hash.GetHashAndReset()[..16];
        }
        finally
        {
            CryptographicOperations.ZeroMemory(exported);
        }
    }
}
