using System.Buffers.Binary;
using System.Security.Cryptography;
using FedLlm.Transport.Protocol;
using ByteString = Google.Protobuf.ByteString;
using UnsafeByteOperations = Google.Protobuf.UnsafeByteOperations;

namespace FedLlm.Transport.Wire;

/// <summary>
/// Turns named float vectors into wire chunks and back. Chunks stay far below gRPC's 4 MiB default message limit;
/// each vector carries a SHA-256 of its encoded bytes, so a corrupted or truncated transfer is caught before use.
/// </summary>
public static class VectorCodec
{
    /// <summary>Encoded bytes per chunk: 1 MiB, a quarter of gRPC's default limit.</summary>
    public const int ChunkBytes = 1 << 20;

    public static int BytesPerValue(WireFormat format) => format switch
    {
        WireFormat.Float32 => 4,
        WireFormat.Bfloat16 or WireFormat.Float16 => 2,
        WireFormat.Opaque => 1,
        _ => throw new ArgumentException($"unknown wire format {(int)format}"),
    };

    /// <summary>Encodes <paramref name="values"/> little-endian in <paramref name="format"/>.</summary>
    public static byte[] Encode(ReadOnlySpan<float> values, WireFormat format)
    {
        var bytes = new byte[values.Length * BytesPerValue(format)];
        var span = bytes.AsSpan();
        switch (format)
        {
            case WireFormat.Float32:
                for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(span[(4 * i)..], values[i]);
                break;
            case WireFormat.Bfloat16:
                for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteUInt16LittleEndian(span[(2 * i)..], ToBFloat16(values[i]));
                break;
            case WireFormat.Float16:
                for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteHalfLittleEndian(span[(2 * i)..], (Half)values[i]);
                break;
            default:
                throw new ArgumentException($"unknown wire format {(int)format}");
        }
        return bytes;
    }

    public static float[] Decode(ReadOnlySpan<byte> bytes, WireFormat format)
    {
        int width = BytesPerValue(format);
        if (bytes.Length % width != 0) throw new InvalidDataException($"{bytes.Length} bytes is not a whole number of {format} values");
        var values = new float[bytes.Length / width];
        switch (format)
        {
            case WireFormat.Float32:
                for (int i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(4 * i)..]);
                break;
            case WireFormat.Bfloat16:
                for (int i = 0; i < values.Length; i++) values[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(bytes[(2 * i)..]) << 16);
                break;
            default:
                for (int i = 0; i < values.Length; i++) values[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(bytes[(2 * i)..]);
                break;
        }
        return values;
    }

    /// <summary>Round-to-nearest-even fp32 → bf16 (NaN stays NaN), as libtorch converts.</summary>
    public static ushort ToBFloat16(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value)) return (ushort)((bits >> 16) | 0x40);
        uint rounding = 0x7FFF + ((bits >> 16) & 1);
        return (ushort)((bits + rounding) >> 16);
    }

    /// <summary>
    /// A task's or an update's vectors ready to send: the adapter weights in <paramref name="format"/> and every
    /// algorithm vector (control variates) in fp32, because those feed accumulating state; ordered by name.
    /// </summary>
    public static EncodedVectors Encode(string weightsName, ReadOnlySpan<float> weights, IReadOnlyDictionary<string, float[]> extras, WireFormat format)
    {
        var builder = new EncodedVectorsBuilder();
        builder.Add(weightsName, weights, format);
        AddExtras(builder, extras);
        return builder.Build();
    }

    /// <summary>Only the algorithm vectors (fp32), for a task that carries no weights.</summary>
    public static EncodedVectors EncodeExtras(IReadOnlyDictionary<string, float[]> extras)
    {
        var builder = new EncodedVectorsBuilder();
        AddExtras(builder, extras);
        return builder.Build();
    }

    private static void AddExtras(EncodedVectorsBuilder builder, IReadOnlyDictionary<string, float[]> extras)
    {
        foreach (var (name, values) in extras.OrderBy(e => e.Key, StringComparer.Ordinal)) builder.Add(name, values, WireFormat.Float32);
    }
}

/// <summary>Collects named vectors (float or opaque) into header entries and 1 MiB chunks, in the order added.</summary>
public sealed class EncodedVectorsBuilder
{
    private readonly List<VectorInfo> _infos = [];
    private readonly List<VectorChunk> _chunks = [];

    public void Add(string name, ReadOnlySpan<float> values, WireFormat format)
    {
        if (format == WireFormat.Opaque) throw new ArgumentException("float vectors need a numeric wire format", nameof(format));
        AddBytes(name, values.Length, format, VectorCodec.Encode(values, format));
    }

    /// <summary>Opaque bytes (a ciphertext), sent as they are. The array must not change afterwards (chunks share it).</summary>
    public void AddOpaque(string name, byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        AddBytes(name, bytes.Length, WireFormat.Opaque, bytes);
    }

    public EncodedVectors Build() => new([.. _infos], [.. _chunks]);

    private void AddBytes(string name, long length, WireFormat format, byte[] bytes)
    {
        _infos.Add(new VectorInfo { Name = name, Length = length, Format = format, Sha256 = ByteString.CopyFrom(SHA256.HashData(bytes)) });
        // The encoded array is never written again, so chunks can share it instead of copying.
        for (int offset = 0; offset < bytes.Length; offset += VectorCodec.ChunkBytes)
            _chunks.Add(new VectorChunk { Name = name, Offset = offset, Data = UnsafeByteOperations.UnsafeWrap(bytes.AsMemory(offset, Math.Min(VectorCodec.ChunkBytes, bytes.Length - offset))) });
    }
}

/// <summary>The header entries and the chunks, in sending order, of a set of vectors.</summary>
public sealed record EncodedVectors(IReadOnlyList<VectorInfo> Infos, IReadOnlyList<VectorChunk> Chunks);
