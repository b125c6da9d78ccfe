using System.Buffers.Binary;
using System.Security.Cryptography;

namespace FedLlm.Privacy.Homomorphic;

/// <summary>
/// Expands a public 32-byte seed into the uniform mask polynomial a of one ciphertext chunk: AES-256 in counter mode
/// keyed by the seed (a PRF), counter block = chunk index (u32 LE) ‖ prime index (u32 LE) ‖ block number (u64 LE).
/// Each 64-bit little-endian keystream word is masked to the bit length of p and rejected when ≥ p, which yields
/// exactly uniform residues. The values are taken as the NTT-domain representation of a (the NTT is a bijection,
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
        ulong mask = bits == 64 ? ulong.MaxValue : (1UL << bits) - 1;
        for (int b = 0; b < BlocksPerBatch; b++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(_counters.AsSpan(b * BlockSize), (uint)chunk);
            BinaryPrimitives.WriteUInt32LittleEndian(_counters.AsSpan(b * BlockSize + 4), (uint)primeIndex);
        }
        ulong blockNumber = 0;
        int filled = 0;
        while (filled < destination.Length)
        {
            for (int b = 0; b < BlocksPerBatch; b++)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(_counters.AsSpan(b * BlockSize + 8), blockNumber++);
            }
            _aes.EncryptEcb(_counters, _keystream, PaddingMode.None);
            ReadOnlySpan<byte> keystream = _keystream;
            for (int offset = 0; offset < keystream.Length && filled < destination.Length; offset += sizeof(ulong))
            {
                ulong candidate = BinaryPrimitives.ReadUInt64LittleEndian(keystream[offset..]) & mask;
                if (candidate < prime) destination[filled++] = candidate;
            }
        }
    }

    public void Dispose() => _aes.Dispose();
}
