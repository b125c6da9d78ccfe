using System.Buffers.Binary;

namespace FedLlm.Encryption.Homomorphic;

/// <summary>Little-endian bit packing of values below 2^bits (bits ≤ 63): value k occupies bits [k·bits, (k+1)·bits).</summary>
internal static class BitPacking
{
    public static long PackedSize(long count, int bits) => (count * bits + 7) / 8;

    public static void Pack(ReadOnlySpan<ulong> values, int bits, Span<byte> destination)
    {
        ulong accumulator = 0;
        int accumulatedBits = 0;
        int position = 0;
        foreach (ulong value in values)
        {
            accumulator |= value << accumulatedBits;
            if (accumulatedBits + bits >= 64)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(destination[position..], accumulator);
                position += 8;
                int written = 64 - accumulatedBits; // in [1, 63] because bits ≤ 63
                accumulator = value >> written;
                accumulatedBits += bits - 64;
            }
            else
            {
                accumulatedBits += bits;
            }
        }
        for (; accumulatedBits > 0; accumulatedBits -= 8)
        {
            destination[position++] = (byte)accumulator;
            accumulator >>= 8;
        }
    }

    /// <summary>
    /// Unpacks values from exactly <see cref="PackedSize"/> bytes; returns false when the padding bits after the last value
    /// are not zero (a canonical encoding has exactly one byte form).
    /// </summary>
    public static bool TryUnpack(ReadOnlySpan<byte> source, int bits, Span<ulong> values)
    {
        ulong mask = (1UL << bits) - 1;
        long bitOffset = 0;
        for (int k = 0; k < values.Length; k++, bitOffset += bits)
        {
            int byteIndex = (int)(bitOffset >> 3);
            int shift = (int)(bitOffset & 7);
            ulong value = ReadWord(source, byteIndex) >> shift;
            if (shift + bits > 64) value |= (ulong)source[byteIndex + 8] << (64 - shift);
            values[k] = value & mask;
        }
        int tailBits = (int)(bitOffset & 7);
        return tailBits == 0 || source[^1] >> tailBits == 0;
    }

    private static ulong ReadWord(ReadOnlySpan<byte> source, int byteIndex)
    {
        if (source.Length - byteIndex >= 8) return BinaryPrimitives.ReadUInt64LittleEndian(source[byteIndex..]);
        ulong word = 0;
        for (int i = source.Length - 1; i >= byteIndex; i--) word = (word << 8) | source[i];
        return word;
    }
}
