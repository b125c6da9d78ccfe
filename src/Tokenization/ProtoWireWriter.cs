using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace FedLlm.Tokenization;

/// <summary>Minimal protobuf wire-format writer, the counterpart of <see cref="ProtoWireReader"/>.</summary>
public sealed class ProtoWireWriter
{
    private readonly ArrayBufferWriter<byte> _buffer = new();

    public byte[] ToArray() => _buffer.WrittenSpan.ToArray();

    public void WriteVarintField(int fieldNumber, ulong value)
    {
        WriteTag(fieldNumber, ProtoWireType.Varint);
        WriteVarint(value);
    }

    /// <summary>Negative int32 values are sign-extended to 64 bits, as protobuf requires.</summary>
    public void WriteInt32Field(int fieldNumber, int value) => WriteVarintField(fieldNumber, unchecked((ulong)(long)value));

    public void WriteBoolField(int fieldNumber, bool value) => WriteVarintField(fieldNumber, value ? 1UL : 0UL);

    public void WriteFloatField(int fieldNumber, float value)
    {
        WriteTag(fieldNumber, ProtoWireType.Fixed32);
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteSingleLittleEndian(bytes, value);
        _buffer.Write(bytes);
    }

    public void WriteBytesField(int fieldNumber, ReadOnlySpan<byte> value)
    {
        WriteTag(fieldNumber, ProtoWireType.LengthDelimited);
        WriteVarint((ulong)value.Length);
        _buffer.Write(value);
    }

    public void WriteStringField(int fieldNumber, string value) => WriteBytesField(fieldNumber, Encoding.UTF8.GetBytes(value));

    public void WriteMessageField(int fieldNumber, ProtoWireWriter message) => WriteBytesField(fieldNumber, message.ToArray());

    private void WriteTag(int fieldNumber, ProtoWireType wireType) => WriteVarint(((ulong)fieldNumber << 3) | (ulong)wireType);

    private void WriteVarint(ulong value)
    {
        while (value >= 0x80)
        {
            _buffer.Write<byte>([(byte)(value | 0x80)]);
            value >>= 7;
        }
        _buffer.Write<byte>([(byte)value]);
    }
}
