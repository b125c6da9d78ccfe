using System.Security.Cryptography;
using FedLlm.Foundation.Storage;

namespace FedLlm.Encryption.Keys;

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

    /// <summary>The public key's full fingerprint (<see cref="KeyFingerprint"/>), what operators pin out of band.</summary>
    public string Fingerprint => KeyFingerprint.Of(PublicKey);

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
        byte[] pem = System.Text.Encoding.ASCII.GetBytes(identity._key.ExportPkcs8PrivateKeyPem());
        try
        {
            AtomicFile.Write(path, pem, ownerOnly: true);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pem);
        }
        return identity;
    }

    /// <summary>Null when <paramref name="publicKey"/> is a P-256 SubjectPublicKeyInfo, otherwise what is wrong with it.</summary>
    public static string? Problem(ReadOnlySpan<byte> publicKey)
    {
        try
        {
            using var key = ImportPublic(publicKey);
            return null;
        }
        catch (InvalidDataException e)
        {
            return e.Message;
        }
    }

    /// <summary>The raw ECDH shared secret with another party's public key (callers derive keys from it).</summary>
    /// <exception cref="InvalidDataException">The other key is not a valid P-256 public key.</exception>
    internal byte[] Agree(ReadOnlySpan<byte> otherPublicKey)
    {
        using var other = ImportPublic(otherPublicKey);
        try
        {
            return _key.DeriveRawSecretAgreement(other.PublicKey);
        }
        catch (CryptographicException e)
        {
            throw new InvalidDataException($"key agreement failed ({e.Message})", e);
        }
    }

    private static ECDiffieHellman ImportPublic(ReadOnlySpan<byte> publicKey)
    {
        var key = ECDiffieHellman.Create();
        try
        {
            key.ImportSubjectPublicKeyInfo(publicKey, out int read);
            if (read != publicKey.Length) throw new InvalidDataException("trailing bytes after the public key");
            // Same size is not same curve (brainpoolP256 is 256-bit too): compare the curve's OID.
            if (key.ExportParameters(false).Curve.Oid.Value != ECCurve.NamedCurves.nistP256.Oid.Value)
                throw new InvalidDataException("the public key is not on curve P-256");
            return key;
        }
        catch (CryptographicException e)
        {
            key.Dispose();
            throw new InvalidDataException($"not a valid P-256 public key ({e.Message})", e);
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    public void Dispose() => _key.Dispose();
}
