using System.Buffers.Binary;
using System.Text;

namespace FedLlm.Tokenization;

/// <summary>Protobuf wire types (https://protobuf.dev/programming-guides/encoding/).</summary>
public enum ProtoWireType
{
    Varint = 0,
    Fixed64 = 1,
    LengthDelimited = 2,
    StartGroup = 3,
    EndGroup = 4,
    Fixed32 = 5,
}

/// <summary>
/// Minimal forward-only reader of the protobuf wire format: enough for sentencepiece's ModelProto.
/// Every read is bounds-checked so a truncated file fails with the byte offset instead of garbage.
/// </summary>
public ref struct ProtoWireReader
{
    private readonly ReadOnlySpan<byte> _data;
    private readonly string _context;
    private int _position;

    public ProtoWireReader(ReadOnlySpan<byte> data, string context)
    {
        _data = data;
        _context = context;
        _position = 0;
    }

    public readonly bool AtEnd => _position >= _data.Length;

    public readonly int Position => _position;

    /// <summary>Reads the next field key; returns false at the end of the message.</summary>
    public bool TryReadTag(out int fieldNumber, out ProtoWireType wireType)
    {
        if (AtEnd)
        {
            fieldNumber = 0;
            wireType = ProtoWireType.Varint;
            return false;
        }
        ulong key = ReadVarint();
        fieldNumber = (int)(key >> 3);
        wireType = (ProtoWireType)(key & 7);
        if (fieldNumber <= 0) throw Malformed($"invalid field number {fieldNumber}");
        return true;
    }

    public ulong ReadVarint()
    {
        ulong result = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (_position >= _data.Length) throw Malformed("truncated varint");
            byte b = _data[_position++];
            result |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return result;
        }
        throw Malformed("varint longer than 10 bytes");
    }

    /// <summary>int32 fields are sign-extended to 64 bits on the wire, so -1 arrives as a 10-byte varint.</summary>
    public int ReadInt32() => unchecked((int)ReadVarint());

    public bool ReadBool() => ReadVarint() != 0;

    public float ReadFloat() => BinaryPrimitives.ReadSingleLittleEndian(Take(4));

    public ReadOnlySpan<byte> ReadBytes()
    {
        ulong length = ReadVarint();
        if (length > (ulong)(_data.Length - _position)) throw Malformed($"length {length} runs past the end");
        return Take((int)length);
    }

    public string ReadString() => Encoding.UTF8.GetString(ReadBytes());

    /// <summary>Skips a field we do not model (unknown fields are legal in protobuf).</summary>
    public void Skip(ProtoWireType wireType)
    {
        switch (wireType)
        {
            case ProtoWireType.Varint: ReadVarint(); break;
            case ProtoWireType.Fixed64: Take(8); break;
            case ProtoWireType.LengthDelimited: ReadBytes(); break;
            case ProtoWireType.Fixed32: Take(4); break;
            default: throw Malformed($"unsupported wire type {(int)wireType}");
        }
    }

    /// <summary>Throws unless the field arrived with the wire type its schema declares.</summary>
    public readonly void Expect(ProtoWireType actual, ProtoWireType expected, int fieldNumber)
    {
        if (actual != expected) throw Malformed($"field {fieldNumber} has wire type {actual}, expected {expected}");
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count > _data.Length - _position) throw Malformed($"{count} bytes requested, {_data.Length - _position} left");
        var slice = _data.Slice(_position, count);
        _position += count;
        return slice;
    }

    private readonly InvalidDataException Malformed(string what) =>
        new($"Malformed protobuf in {_context} at byte {_position}: {what}.");
}
