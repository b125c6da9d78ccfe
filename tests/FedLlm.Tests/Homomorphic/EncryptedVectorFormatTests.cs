using System.Buffers.Binary;
using FedLlm.Encryption.Homomorphic;

namespace FedLlm.Tests.Homomorphic;

public class EncryptedVectorFormatTests
{
    private static readonly HeParameters Parameters = HomomorphicFixtures.Default;
    private static readonly HeSecretKey Key = HeSecretKey.Generate(Parameters);

    private static byte[] FreshBytes(int length = 5000) =>
        new HeEncryptor(Parameters, Key).Encrypt(HomomorphicFixtures.RandomValues(new Random(length), length, 1)).ToBytes();

    [Fact]
    public void RoundTripPreservesTheCiphertext()
    {
        var encryptor = new HeEncryptor(Parameters, Key);
        var aggregator = new HeAggregator(Parameters);
        aggregator.Add(encryptor.Encrypt([0.5f, 0.25f, -1f]), 4);
        aggregator.Add(encryptor.Encrypt([0.5f, 0.75f, 1f]), 4);
        EncryptedVector original = aggregator.Result();
        byte[] bytes = original.ToBytes();

        EncryptedVector parsed = EncryptedVector.FromBytes(bytes, Parameters);

        Assert.Equal(original.SerializedSize, bytes.Length);
        Assert.Equal(bytes, parsed.ToBytes());
        Assert.Equal((3, 1, 2, 8L), (parsed.Length, parsed.ChunkCount, parsed.TermCount, parsed.TotalWeight));
        Assert.Equal([0.5f, 0.5f, 0f], new HeDecryptor(Parameters, Key).Decrypt(parsed, 8));
    }

    [Fact]
    public void EveryTruncationIsRejected()
    {
        byte[] bytes = FreshBytes(300);
        foreach (int length in new[] { 0, 3, 47, 48, 60, 88, bytes.Length / 2, bytes.Length - 1 })
        {
            var error = Assert.Throws<InvalidDataException>(() => EncryptedVector.FromBytes(bytes.AsSpan(0, length), Parameters));
            Assert.StartsWith("Encrypted vector:", error.Message);
        }
    }

    [Fact]
    public void TrailingBytesAreRejected()
    {
        byte[] bytes = [.. FreshBytes(300), 0];
        Assert.Contains("trailing", Assert.Throws<InvalidDataException>(() => EncryptedVector.FromBytes(bytes, Parameters)).Message);
    }

    [Fact]
    public void CiphertextFromOtherParametersIsRejected()
    {
        using HeSecretKey otherKey = HeSecretKey.Generate(HomomorphicFixtures.TwoPrime);
        byte[] foreign = new HeEncryptor(HomomorphicFixtures.TwoPrime, otherKey).Encrypt(new float[100]).ToBytes();
        var error = Assert.Throws<InvalidDataException>(() => EncryptedVector.FromBytes(foreign, Parameters));
        Assert.Contains("other parameters", error.Message);
    }

    public static TheoryData<int, long, string> HeaderCorruptions => new()
    {
        { 0, 0x58, "magic" },
        { 4, 2, "version" },
        { 6, 1, "reserved" },
        { 24, -1, "negative" },
        { 28, 7, "chunk count" },
        { 32, 0, "term count" },
        { 32, 65, "term count" },
        { 36, 64, "coefficient width" },
        { 40, 1, "body length" },
    };

    [Theory]
    [MemberData(nameof(HeaderCorruptions))]
    public void CorruptHeaderFieldsAreRejectedByName(int offset, long value, string expected)
    {
        byte[] bytes = FreshBytes();
        switch (offset)
        {
            case 0: bytes[0] = (byte)value; break;
            case 4 or 6 or 36: BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(offset), (ushort)value); break;
            case 40: BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(offset), value); break;
            default: BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(offset), (int)value); break;
        }
        var error = Assert.Throws<InvalidDataException>(() => EncryptedVector.FromBytes(bytes, Parameters));
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void InvalidTermWeightIsRejected()
    {
        byte[] bytes = FreshBytes();
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(48 + 32), 0);
        Assert.Contains("weight 0", Assert.Throws<InvalidDataException>(() => EncryptedVector.FromBytes(bytes, Parameters)).Message);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(48 + 32), Parameters.MaxTotalWeight + 1);
        Assert.Throws<InvalidDataException>(() => EncryptedVector.FromBytes(bytes, Parameters));
    }

    [Fact]
    public void CoefficientNotBelowQIsRejected()
    {
        byte[] bytes = FreshBytes();
        // All-ones in the first coefficient's bits: 2^bits − 1 ≥ q because q's bit length is `bits`.
        int bits = Parameters.CoefficientBits;
        for (int bit = 0; bit < bits; bit++) bytes[88 + bit / 8] |= (byte)(1 << (bit % 8));
        Assert.Contains("coefficient 0", Assert.Throws<InvalidDataException>(() => EncryptedVector.FromBytes(bytes, Parameters)).Message);
    }

    [Fact]
    public void NonZeroPaddingIsRejected()
    {
        byte[] bytes = FreshBytes(3); // 3 × 59 bits leaves padding in the last byte
        Assert.NotEqual(0, 3 * Parameters.CoefficientBits % 8);
        bytes[^1] |= 0x80;
        Assert.Contains("padding", Assert.Throws<InvalidDataException>(() => EncryptedVector.FromBytes(bytes, Parameters)).Message);
    }
}
