using System.Buffers.Binary;

namespace FedLlm.Encryption.Homomorphic;

/// <summary>
/// Wire format v1 of <see cref="EncryptedVector"/> (all integers little-endian):
/// <code>
///  0  magic "FLHE"            4  version u16 = 1        6  reserved u16 = 0
///  8  parameter fingerprint (16 bytes)
/// 24  value count i32        28  chunk count i32       32  term count i32
/// 36  coefficient bits u16   38  reserved u16 = 0      40  body byte length i64
/// 48  terms: term count × (seed 32 bytes, weight i64)
///     body: value count coefficients mod q, bit-packed (coefficient bits each, LSB first, zero padding)
/// </code>
/// </summary>
internal static class EncryptedVectorFormat
{
    public const ushort Version = 1;
    private const int HeaderSize = 48;
    private const int TermSize = MaskExpander.SeedSize + sizeof(long);
    private static ReadOnlySpan<byte> Magic => "FLHE"u8;

    public static long SerializedSize(int length, int termCount, int coefficientBits) =>
        HeaderSize + (long)termCount * TermSize + BitPacking.PackedSize(length, coefficientBits);

    public static byte[] Write(EncryptedVector vector)
    {
        HeParameters parameters = vector.Parameters;
        int bits = parameters.CoefficientBits;
        long bodySize = BitPacking.PackedSize(vector.Length, bits);
        var bytes = new byte[SerializedSize(vector.Length, vector.TermCount, bits)];
        Span<byte> span = bytes;
        Magic.CopyTo(span);
        BinaryPrimitives.WriteUInt16LittleEndian(span[4..], Version);
        parameters.Fingerprint.CopyTo(span[8..]);
        BinaryPrimitives.WriteInt32LittleEndian(span[24..], vector.Length);
        BinaryPrimitives.WriteInt32LittleEndian(span[28..], vector.ChunkCount);
        BinaryPrimitives.WriteInt32LittleEndian(span[32..], vector.TermCount);
        BinaryPrimitives.WriteUInt16LittleEndian(span[36..], (ushort)bits);
        BinaryPrimitives.WriteInt64LittleEndian(span[40..], bodySize);
        int offset = HeaderSize;
        foreach (MaskTerm term in vector.Terms)
        {
            term.Seed.CopyTo(span[offset..]);
            BinaryPrimitives.WriteInt64LittleEndian(span[(offset + MaskExpander.SeedSize)..], term.Weight);
            offset += TermSize;
        }
        BitPacking.Pack(vector.Body, bits, span[offset..]);
        return bytes;
    }

    public static EncryptedVector Read(ReadOnlySpan<byte> bytes, HeParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (bytes.Length < HeaderSize) throw Invalid($"{bytes.Length} bytes is shorter than the {HeaderSize}-byte header");
        if (!bytes[..4].SequenceEqual(Magic)) throw Invalid($"magic is {Convert.ToHexString(bytes[..4])}, expected \"FLHE\"");
        ushort version = BinaryPrimitives.ReadUInt16LittleEndian(bytes[4..]);
        if (version != Version) throw Invalid($"format version {version} is not supported (expected {Version})");
        if (BinaryPrimitives.ReadUInt16LittleEndian(bytes[6..]) != 0) throw Invalid("reserved header field at offset 6 is not zero");
        ReadOnlySpan<byte> fingerprint = bytes.Slice(8, 16);
        if (!fingerprint.SequenceEqual(parameters.Fingerprint))
        {
            throw Invalid($"ciphertext was made with other parameters (fingerprint {Convert.ToHexString(fingerprint)}, expected {parameters.FingerprintHex})");
        }
        int length = BinaryPrimitives.ReadInt32LittleEndian(bytes[24..]);
        int chunkCount = BinaryPrimitives.ReadInt32LittleEndian(bytes[28..]);
        int termCount = BinaryPrimitives.ReadInt32LittleEndian(bytes[32..]);
        int bits = BinaryPrimitives.ReadUInt16LittleEndian(bytes[36..]);
        long bodySize = BinaryPrimitives.ReadInt64LittleEndian(bytes[40..]);
        if (length < 0) throw Invalid($"value count {length} is negative");
        int expectedChunks = (int)(((long)length + parameters.RingDegree - 1) / parameters.RingDegree);
        if (chunkCount != expectedChunks) throw Invalid($"chunk count {chunkCount} does not match {length} values at N = {parameters.RingDegree} (expected {expectedChunks})");
        if (termCount < 1 || termCount > parameters.MaxClients) throw Invalid($"term count {termCount} is outside [1, {parameters.MaxClients}]");
        if (BinaryPrimitives.ReadUInt16LittleEndian(bytes[38..]) != 0) throw Invalid("reserved header field at offset 38 is not zero");
        if (bits != parameters.CoefficientBits) throw Invalid($"coefficient width {bits} bits does not match the parameters' {parameters.CoefficientBits}");
        long expectedBody = BitPacking.PackedSize(length, bits);
        if (bodySize != expectedBody) throw Invalid($"body length {bodySize} bytes does not match {length} values × {bits} bits ({expectedBody} bytes)");
        long expectedTotal = SerializedSize(length, termCount, bits);
        if (bytes.Length != expectedTotal)
        {
            throw Invalid(bytes.Length < expectedTotal
                ? $"truncated: {bytes.Length} bytes, the header announces {expectedTotal}"
                : $"{bytes.Length - expectedTotal} unexpected trailing bytes after the {expectedTotal} announced");
        }

        var terms = new MaskTerm[termCount];
        long totalWeight = 0;
        int offset = HeaderSize;
        for (int i = 0; i < termCount; i++, offset += TermSize)
        {
            long weight = BinaryPrimitives.ReadInt64LittleEndian(bytes[(offset + MaskExpander.SeedSize)..]);
            if (weight < 1 || weight > parameters.MaxTotalWeight) throw Invalid($"term {i} has weight {weight}, outside [1, {parameters.MaxTotalWeight}]");
            totalWeight += weight;
            if (totalWeight > parameters.MaxTotalWeight) throw Invalid($"total weight exceeds the noise budget's K_max·W_max = {parameters.MaxTotalWeight} at term {i}");
            terms[i] = new MaskTerm(bytes.Slice(offset, MaskExpander.SeedSize).ToArray(), weight);
        }

        var body = new ulong[length];
        if (!BitPacking.TryUnpack(bytes[offset..], bits, body)) throw Invalid("non-zero padding bits after the last coefficient");
        ulong q = parameters.CiphertextModulus;
        for (int k = 0; k < body.Length; k++)
        {
            if (body[k] >= q) throw Invalid($"coefficient {k} (chunk {k / parameters.RingDegree}) = {body[k]} is not below q = {q}");
        }
        return new EncryptedVector(parameters, body, terms);
    }

    private static InvalidDataException Invalid(string problem) => new($"Encrypted vector: {problem}.");
}
