using System.Security.Cryptography;

namespace FedLlm.Federation.Encryption;

/// <summary>
/// A member's long-lived ECDH P-256 key pair for receiving the shared HE secret key. Kept in the member's own state
/// folder (owner-only file permissions) so a restarted member keeps its identity; the public half travels at join.
/// </summary>
public sealed class KeyExchangeIdentity : IDisposable
{
    private readonly ECDiffieHellman _key;

    private KeyExchangeIdentity(ECDiffieHellman key)
    {
        _key = key;
        PublicKey = key.ExportSubjectPublicKeyInfo();
    }

    /// <summary>SubjectPublicKeyInfo (DER) of the public key.</summary>
    public byte[] PublicKey { get; }

    public string Fingerprint => FingerprintOf(PublicKey);

    /// <summary>Short hex SHA-256 of a public key, for logs that operators can compare out of band.</summary>
    public static string FingerprintOf(ReadOnlySpan<byte> publicKey) => Convert.ToHexStringLower(SHA256.HashData(publicKey))[..16];

    public static KeyExchangeIdentity Create() => new(ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256));

    /// <summary>Loads the key pair from <paramref name="path"/>, or creates and saves one (mode 0600) if there is none.</summary>
    /// <exception cref="InvalidDataException">The file exists but holds no valid P-256 private key.</exception>
    public static KeyExchangeIdentity LoadOrCreate(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (File.Exists(path))
        {
            var key = ECDiffieHellman.Create();
            try
            {
                key.ImportFromPem(File.ReadAllText(path));
                if (key.KeySize != 256) throw new CryptographicException($"a {key.KeySize}-bit key, not P-256");
                return new KeyExchangeIdentity(key);
            }
            catch (Exception e) when (e is CryptographicException or ArgumentException)
            {
                key.Dispose();
                throw new InvalidDataException($"{path}: not a usable key-exchange private key ({e.Message}); delete it to make a new one, then the key holder re-shares the key", e);
            }
        }
        var identity = Create();
        SecretFile.Write(path, System.Text.Encoding.ASCII.GetBytes(identity._key.ExportPkcs8PrivateKeyPem()));
        return identity;
    }

    /// <summary>The raw ECDH shared secret with another party's public key (callers derive keys from it).</summary>
    internal byte[] Agree(ReadOnlySpan<byte> otherPublicKey)
    {
        using var other = ECDiffieHellman.Create();
        try
        {
            other.ImportSubjectPublicKeyInfo(otherPublicKey, out int read);
            if (read != otherPublicKey.Length) throw new CryptographicException("trailing bytes after the public key");
        }
        catch (CryptographicException e)
        {
            throw new InvalidDataException($"not a valid P-256 public key ({e.Message})", e);
        }
        if (other.KeySize != 256) throw new InvalidDataException($"the other party's key is {other.KeySize}-bit, not P-256");
        return _key.DeriveRawSecretAgreement(other.PublicKey);
    }

    public void Dispose() => _key.Dispose();
}
