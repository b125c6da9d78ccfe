using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace FedLlm.Encryption.Keys;

/// <summary>
/// The HE secret key sealed by the key holder to one member, so the server that relays it learns nothing:
/// ECDH P-256 between the holder's and the member's key-exchange keys, HKDF-SHA256 (RFC 5869) to a 256-bit key bound to
/// the run, the recipient and both public keys, then AES-256-GCM. Layout: "FLKS", version u16, holder public-key
/// length u16, holder public key (SubjectPublicKeyInfo), nonce (12), tag (16), ciphertext.
/// </summary>
public static class SealedKeyShare
{
    private const ushort FormatVersion = 1;
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private static ReadOnlySpan<byte> Magic => "FLKS"u8;

    public static byte[] Seal(KeyExchangeIdentity holder, ReadOnlySpan<byte> recipientPublicKey, string runName, int recipientId, ReadOnlySpan<byte> secret)
    {
        ArgumentNullException.ThrowIfNull(holder);
        byte[] holderKey = holder.PublicKey;
        byte[] context = Context(runName, recipientId, holderKey, recipientPublicKey);
        byte[] key = DeriveKey(holder, recipientPublicKey, context);
        try
        {
            int header = 8 + holderKey.Length;
            var sealedShare = new byte[header + NonceSize + TagSize + secret.Length];
            Magic.CopyTo(sealedShare);
            BinaryPrimitives.WriteUInt16LittleEndian(sealedShare.AsSpan(4), FormatVersion);
            BinaryPrimitives.WriteUInt16LittleEndian(sealedShare.AsSpan(6), (ushort)holderKey.Length);
            holderKey.CopyTo(sealedShare.AsSpan(8));
            var nonce = sealedShare.AsSpan(header, NonceSize);
            RandomNumberGenerator.Fill(nonce);
            using var aes = new AesGcm(key, TagSize);
            aes.Encrypt(nonce, secret, sealedShare.AsSpan(header + NonceSize + TagSize), sealedShare.AsSpan(header + NonceSize, TagSize), context);
            return sealedShare;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>Opens a share sealed to <paramref name="recipient"/>; returns the secret and the holder's key fingerprint.</summary>
    /// <exception cref="InvalidDataException">Malformed, sealed to another member or run, or tampered with.</exception>
    public static (byte[] Secret, string HolderFingerprint) Open(KeyExchangeIdentity recipient, ReadOnlySpan<byte> sealedShare, string runName, int recipientId)
    {
        ArgumentNullException.ThrowIfNull(recipient);
        if (sealedShare.Length < 8 || !sealedShare[..4].SequenceEqual(Magic)) throw Invalid("missing \"FLKS\" header");
        ushort version = BinaryPrimitives.ReadUInt16LittleEndian(sealedShare[4..]);
        if (version != FormatVersion) throw Invalid($"format version {version} is not supported (expected {FormatVersion})");
        int keyLength = BinaryPrimitives.ReadUInt16LittleEndian(sealedShare[6..]);
        int header = 8 + keyLength;
        if (sealedShare.Length < header + NonceSize + TagSize) throw Invalid($"{sealedShare.Length} bytes is too short for its header");
        var holderKey = sealedShare.Slice(8, keyLength);
        byte[] context = Context(runName, recipientId, holderKey, recipient.PublicKey);
        byte[] key = DeriveKey(recipient, holderKey, context);
        var secret = new byte[sealedShare.Length - header - NonceSize - TagSize];
        try
        {
            using var aes = new AesGcm(key, TagSize);
            aes.Decrypt(sealedShare.Slice(header, NonceSize), sealedShare[(header + NonceSize + TagSize)..],
                sealedShare.Slice(header + NonceSize, TagSize), secret, context);
            return (secret, KeyFingerprint.Of(holderKey));
        }
        catch (AuthenticationTagMismatchException)
        {
            CryptographicOperations.ZeroMemory(secret);
            throw Invalid($"it does not open with this member's key for run '{runName}' as client {recipientId} (sealed to someone else, or altered in transit)");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    private static byte[] DeriveKey(KeyExchangeIdentity own, ReadOnlySpan<byte> otherPublicKey, byte[] context)
    {
        byte[] shared = own.Agree(otherPublicKey);
        try
        {
            return HKDF.DeriveKey(HashAlgorithmName.SHA256, shared, 32, salt: [], info: context);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(shared);
        }
    }

    /// <summary>Binds the key and the AEAD to the run, the recipient's id and both public keys.</summary>
    private static byte[] Context(string runName, int recipientId, ReadOnlySpan<byte> holderKey, ReadOnlySpan<byte> recipientKey)
    {
        var text = Encoding.UTF8.GetBytes($"fedllm key share v1|{runName}|{recipientId}|");
        return [.. text, .. SHA256.HashData(holderKey), .. SHA256.HashData(recipientKey)];
    }

    private static InvalidDataException Invalid(string problem) => new($"Sealed key share: {problem}.");
}
