using System.Buffers.Binary;
using System.Text;

namespace FedLlm.Models.Tokenization;

/// <summary>Minimal protobuf wire-format writer (the counterpart of <see cref="ProtobufReader"/>).</summary>
internal sealed class ProtobufWriter
{
    private readonly MemoryStream _stream = new();

    public byte[] ToArray() => _stream.ToArray();

    public void WriteInt32(int field, int value)
    {
        WriteKey(field, ProtobufReader.WireVarint);
        WriteVarint(unchecked((ulong)(long)value)); // negative → 10-byte two's complement, as protobuf requires
    }

    public void WriteBool(int field, bool value)
    {
        WriteKey(field, ProtobufReader.WireVarint);
        WriteVarint(value ? 1UL : 0UL);
    }

    public void WriteFloat(int field, float value)
    {
        WriteKey(field, ProtobufReader.WireFixed32);
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteSingleLittleEndian(bytes, value);
        _stream.Write(bytes);
    }

    public void WriteString(int field, string value) => WriteBytes(field, Encoding.UTF8.GetBytes(value));

    public void WriteMessage(int field, ProtobufWriter message) => WriteBytes(field, message.ToArray());

    private void WriteBytes(int field, byte[] payload)
    {
        WriteKey(field, ProtobufReader.WireLengthDelimited);
        WriteVarint((ulong)payload.Length);
        _stream.Write(payload);
    }

    private void WriteKey(int field, int wireType) => WriteVarint(((ulong)field << 3) | (uint)wireType);

    private void WriteVarint(ulong value)
    {
        while (value >= 0x80)
        {
            _stream.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }
        _stream.WriteByte((byte)value);
    }
}
