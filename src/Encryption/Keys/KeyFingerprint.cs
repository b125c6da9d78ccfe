using System.Security.Cryptography;
using System.Text;

namespace FedLlm.Encryption.Keys;

/// <summary>
/// The name operators compare out of band for a key-exchange public key: the full SHA-256 of its SubjectPublicKeyInfo
/// as 64 lower-case hex digits. Never shortened: a prefix would let whoever picks keys (e.g. a server relaying them)
/// grind a key that shares it.
/// </summary>
public static class KeyFingerprint
{
    public const int HexLength = 64;

    public static string Of(ReadOnlySpan<byte> publicKey) => Convert.ToHexStringLower(SHA256.HashData(publicKey));

    /// <summary>Null when <paramref name="value"/> is a full fingerprint (either case), otherwise what is wrong with it.</summary>
    public static string? Problem(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Length != HexLength)
            return $"'{value}' has {value.Length} characters, not the {HexLength} hex digits of a full key-exchange fingerprint (fedllm client --print-fingerprint)";
        return value.All(Uri.IsHexDigit) ? null : $"'{value}' is not hexadecimal";
    }

    /// <summary>A well-formed fingerprint in canonical (lower-case) form.</summary>
    public static string Normalize(string value) => value.Trim().ToLowerInvariant();

    /// <summary>Whether two fingerprints are the same key, compared in full and in constant time.</summary>
    public static bool Same(string expected, string actual) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Normalize(expected)), Encoding.ASCII.GetBytes(Normalize(actual)));
}
