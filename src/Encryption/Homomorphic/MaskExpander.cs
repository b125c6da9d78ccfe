using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace FedLlm.Encryption.Homomorphic;

/// <summary>
/// Expands a public 32-byte seed into the uniform mask polynomial a of one ciphertext chunk: AES-256 in counter mode
/// keyed by the seed (a PRF), counter block = chunk index (u32 LE) ‖ prime index (u32 LE) ‖ block number (u64 LE).
/// Each little-endian keystream word (32-bit halves of 64-bit words when p &lt; 2^32, else 64-bit) is masked to the bit length of p and
/// rejected when ≥ p, which yields exactly uniform residues. The values are taken as the NTT-domain representation of a (the NTT is a bijection,
/// so a is uniform in R_p as well); this saves one forward transform per chunk on both ends.
/// </summary>
internal sealed class MaskExpander : IDisposable
{
    public const int SeedSize = 32;
    private const int BlockSize = 16;
    private const int BlocksPerBatch = 1024;
    private readonly Aes _aes;
    private readonly byte[] _counters = new byte[BlocksPerBatch * BlockSize];
    private readonly byte[] _keystream = new byte[BlocksPerBatch * BlockSize];

    public MaskExpander(ReadOnlySpan<byte> seed)
    {
        if (seed.Length != SeedSize) throw new ArgumentException($"mask seed must be {SeedSize} bytes, got {seed.Length}", nameof(seed));
        _aes = Aes.Create();
        _aes.Key = seed.ToArray();
    }

    public void Expand(int chunk, int primeIndex, ulong prime, Span<ulong> destination)
    {
        int bits = ModularArithmetic.BitLength(prime);
        Span<ulong> counterWords = MemoryMarshal.Cast<byte, ulong>(_counters.AsSpan());
        ulong prefix = (uint)chunk | (ulong)(uint)primeIndex << 32;
        if (!BitConverter.IsLittleEndian) prefix = BinaryPrimitives.ReverseEndianness(prefix);
        ulong blockNumber = 0;
        int filled = 0;
        while (filled < destination.Length)
        {
            // Enough blocks for the remaining values at the acceptance rate p / 2^bits (≥ 1/2), plus slack.
            int remaining = destination.Length - filled;
            int valuesPerBlock = bits <= 32 ? 4 : 2;
            double acceptance = prime / Math.Pow(2, bits);
            int blocks = Math.Min(BlocksPerBatch, (int)(remaining / (valuesPerBlock * acceptance)) + 4);
            for (int b = 0; b < blocks; b++)
            {
                counterWords[2 * b] = prefix;
                counterWords[2 * b + 1] = BitConverter.IsLittleEndian ? blockNumber : BinaryPrimitives.ReverseEndianness(blockNumber);
                blockNumber++;
            }
            Span<byte> keystream = _keystream.AsSpan(0, blocks * BlockSize);
            _aes.EncryptEcb(_counters.AsSpan(0, blocks * BlockSize), keystream, PaddingMode.None);
            filled = Accept(MemoryMarshal.Cast<byte, ulong>(keystream), prime, bits, destination, filled);
        }
    }

    /// <summary>
    /// Rejection-samples residues from keystream words: each 64-bit little-endian word yields one candidate, or two
    /// (its 32-bit halves, low first) when p &lt; 2^32. BitConverter.IsLittleEndian is a JIT-time constant.
    /// </summary>
    private static int Accept(ReadOnlySpan<ulong> words, ulong prime, int bits, Span<ulong> destination, int filled)
    {
        ulong mask = (1UL << bits) - 1; // bits ≤ 61
        int shift = bits <= 32 ? 32 : 64;
        foreach (ulong rawWord in words)
        {
            ulong word = BitConverter.IsLittleEndian ? rawWord : BinaryPrimitives.ReverseEndianness(rawWord);
            for (int offset = 0; offset < 64; offset += shift)
            {
                ulong value = (word >> offset) & mask;
                if (value >= prime) continue;
                destination[filled++] = value;
                if (filled == destination.Length) return filled;
            }
        }
        return filled;
    }

    public void Dispose() => _aes.Dispose();
}
