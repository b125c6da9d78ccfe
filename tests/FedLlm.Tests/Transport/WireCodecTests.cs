using FedLlm.Transport.Protocol;
using FedLlm.Transport.Wire;

namespace FedLlm.Tests.Transport;

public class WireCodecTests
{
    private static readonly Dictionary<string, float[]> NoExtras = [];

    private static float[] Values(int count) => [.. Enumerable.Range(0, count).Select(i => MathF.Sin(i * 0.37f) * (i % 5 + 1))];

    [Fact]
    public void Float32TravelsBitExactAcrossSeveralChunks()
    {
        float[] values = Values(VectorCodec.ChunkBytes / 4 * 2 + 123);
        var encoded = VectorCodec.Encode("weights", values, NoExtras, WireFormat.Float32);
        var chunkList = encoded.Chunks.ToList();
        Assert.Equal(3, chunkList.Count);
        Assert.All(chunkList, c => Assert.True(c.Data.Length <= VectorCodec.ChunkBytes));
        var assembler = new VectorAssembler(encoded.Infos, new VectorAllowance(long.MaxValue / 8));
        chunkList.ForEach(assembler.Add);
        Assert.Equal(values, assembler.Complete().Values["weights"]);
    }

    [Theory]
    [InlineData(1.0f, 0x3F80)]
    [InlineData(-2.5f, 0xC020)]
    [InlineData(1.00390625f, 0x3F80)] // halfway between 0x3F80 and 0x3F81: ties to even
    [InlineData(1.01171875f, 0x3F82)] // halfway between 0x3F81 and 0x3F82: ties to even
    [InlineData(float.PositiveInfinity, 0x7F80)]
    public void BFloat16RoundsToNearestEven(float value, int expected) => Assert.Equal((ushort)expected, VectorCodec.ToBFloat16(value));

    [Theory]
    [InlineData(WireFormat.Bfloat16, 1.0 / 256)]
    [InlineData(WireFormat.Float16, 1.0 / 2048)]
    public void HalfWidthFormatsStayWithinTheirRelativePrecision(WireFormat format, double relative)
    {
        float[] values = Values(1000);
        var decoded = VectorCodec.Decode(VectorCodec.Encode(values, format), format);
        Assert.Equal(values.Length * 2, VectorCodec.Encode(values, format).Length);
        for (int i = 0; i < values.Length; i++) Assert.True(Math.Abs(decoded[i] - values[i]) <= relative * Math.Abs(values[i]) + 1e-7, $"{i}: {values[i]} -> {decoded[i]}");
    }

    [Fact]
    public void ACorruptedChunkFailsItsChecksum()
    {
        var encoded = VectorCodec.Encode("weights", Values(100), NoExtras, WireFormat.Float32);
        var (info, chunk) = (encoded.Infos.Single(), encoded.Chunks.Single());
        byte[] bytes = chunk.Data.ToByteArray();
        bytes[17] ^= 1;
        var assembler = new VectorAssembler([info], new VectorAllowance(1000));
        assembler.Add(new VectorChunk { Name = chunk.Name, Offset = 0, Data = Google.Protobuf.ByteString.CopyFrom(bytes) });
        var error = Assert.Throws<InvalidDataException>(assembler.Complete);
        Assert.Contains("checksum mismatch", error.Message);
    }

    [Fact]
    public void TruncatedGappedOversizedAndUnannouncedTransfersAreRefused()
    {
        var encoded = VectorCodec.Encode("weights", Values(100), NoExtras, WireFormat.Float32);
        var (info, chunk) = (encoded.Infos.Single(), encoded.Chunks.Single());

        var truncated = new VectorAssembler([info], new VectorAllowance(1000));
        Assert.Contains("received 0 of 400 bytes", Assert.Throws<InvalidDataException>(truncated.Complete).Message);

        var gapped = new VectorAssembler([info], new VectorAllowance(1000));
        Assert.Contains("chunk at byte 4, expected 0", Assert.Throws<InvalidDataException>(() => gapped.Add(new VectorChunk { Name = "weights", Offset = 4, Data = chunk.Data })).Message);

        var unknown = new VectorAssembler([info], new VectorAllowance(1000));
        Assert.Contains("unannounced vector 'other'", Assert.Throws<InvalidDataException>(() => unknown.Add(new VectorChunk { Name = "other", Data = chunk.Data })).Message);

        Assert.Contains("at most 50 are accepted", Assert.Throws<InvalidDataException>(() => new VectorAssembler([info], new VectorAllowance(50))).Message);
    }

    [Fact]
    public void WeightsTakeTheRequestedFormatWhileAlgorithmVectorsStayFloat32()
    {
        float[] weights = Values(50), control = Values(50);
        var encoded = VectorCodec.Encode("weights", weights, new Dictionary<string, float[]> { ["scaffold.c"] = control }, WireFormat.Bfloat16);
        Assert.Equal([WireFormat.Bfloat16, WireFormat.Float32], encoded.Infos.Select(i => i.Format));
        var assembler = new VectorAssembler(encoded.Infos, new VectorAllowance(1000));
        foreach (var chunk in encoded.Chunks) assembler.Add(chunk);
        var decoded = assembler.Complete().Values;
        Assert.Equal(control, decoded["scaffold.c"]);
        Assert.NotEqual(weights, decoded["weights"]);
    }
}
