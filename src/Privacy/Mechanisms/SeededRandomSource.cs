using System.Buffers.Binary;
using System.Security.Cryptography;

namespace FedLlm.Privacy.Mechanisms;

/// <summary>
/// Deterministic, reproducible generator: the AES-256-CTR keystream (NIST SP 800-38A), key = SHA-256 of the
/// seed's 8 little-endian bytes (or a caller-supplied 32-byte key), 128-bit big-endian counter starting at 0,
/// keystream read as little-endian 64-bit words. Cryptographically strong given a secret key, but with a
/// guessable 64-bit seed it is for tests and reproducible experiments only.
/// </summary>
public sealed class SeededRandomSource : IRandomSource, IDisposable
{
    private const int BlocksPerRefill = 256;
    private const int BlockSize = 16;

    private readonly Aes _aes;
    private readonly byte[] _counterBlocks = new byte[BlocksPerRefill * BlockSize];
    private readonly byte[] _keystream = new byte[BlocksPerRefill * BlockSize];
    private UInt128 _counter;
    private int _position;
    private bool _disposed;

    /// <summary>Generator keyed by SHA-256(seed as 8 little-endian bytes).</summary>
    public SeededRandomSource(ulong seed) : this(KeyFromSeed(seed))
    {
    }

    /// <summary>Generator keyed directly by a 32-byte AES-256 key.</summary>
    public SeededRandomSource(ReadOnlySpan<byte> key)
    {
        if (key.Length != 32)
            throw new ArgumentException($"The AES-256 key must be 32 bytes; got {key.Length}.", nameof(key));
        _aes = Aes.Create();
        _aes.Key = key.ToArray();
        _position = _keystream.Length;
    }

    public ulong NextUInt64()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_position + sizeof(ulong) > _keystream.Length) Refill();
        ulong value = BinaryPrimitives.ReadUInt64LittleEndian(_keystream.AsSpan(_position));
        _position += sizeof(ulong);
        return value;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _aes.Dispose();
    }

    private static byte[] KeyFromSeed(ulong seed)
    {
        Span<byte> seedBytes = stackalloc byte[sizeof(ulong)];
        BinaryPrimitives.WriteUInt64LittleEndian(seedBytes, seed);
        return SHA256.HashData(seedBytes);
    }

    private void Refill()
    {
        for (int b = 0; b < BlocksPerRefill; b++)
        {
            BinaryPrimitives.WriteUInt128BigEndian(_counterBlocks.AsSpan(b * BlockSize, BlockSize), _counter);
            _counter++;
        }
        // ECB over successive counter blocks is exactly the CTR keystream.
        _aes.EncryptEcb(_counterBlocks, _keystream, PaddingMode.None);
        _position = 0;
    }
}
