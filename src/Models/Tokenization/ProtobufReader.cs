using System.Buffers.Binary;
using System.Text;

namespace FedLlm.Models.Tokenization;

/// <summary>
/// Minimal reader for the protobuf wire format (https://protobuf.dev/programming-guides/encoding/):
/// varint, fixed64, length-delimited and fixed32 fields. Reads one message within [start, end) of a buffer;
/// errors name the source file and the absolute byte offset.
/// </summary>
internal sealed class ProtobufReader
{
    public const int WireVarint = 0;
    public const int WireFixed64 = 1;
    public const int WireLengthDelimited = 2;
    public const int WireFixed32 = 5;

    private readonly byte[] _buffer;
    private readonly int _end;
    private readonly string _source;

    public ProtobufReader(byte[] buffer, int start, int end, string source)
    {
        _buffer = buffer;
        Position = start;
        _end = end;
        _source = source;
    }

    public int Position { get; private set; }

    public bool AtEnd => Position >= _end;

    /// <summary>Reads a field key; returns its number and wire type.</summary>
    public (int Field, int WireType) ReadKey()
    {
        int keyOffset = Position;
        ulong key = ReadVarint();
        int field = (int)(key >> 3);
        if (field == 0 || key >> 3 > int.MaxValue) throw Error(keyOffset, $"invalid field number {key >> 3}");
        return (field, (int)(key & 7));
    }

    public ulong ReadVarint()
    {
        int start = Position;
        ulong value = 0;
        for (int shift = 0; shift < 70; shift += 7)
        {
            if (Position >= _end) throw Error(start, "truncated varint");
            byte b = _buffer[Position++];
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return value;
        }
        throw Error(start, "varint longer than 10 bytes");
    }

    /// <summary>int32/enum: negative values are sent as 10-byte two's complement varints.</summary>
    public int ReadInt32() => unchecked((int)(long)ReadVarint());

    public bool ReadBool() => ReadVarint() != 0;

    public float ReadFloat()
    {
        Require(4, "truncated fixed32");
        float value = BinaryPrimitives.ReadSingleLittleEndian(_buffer.AsSpan(Position, 4));
        Position += 4;
        return value;
    }

    /// <summary>Returns the [start, end) range of a length-delimited field's payload and moves past it.</summary>
    public (int Start, int End) ReadLengthDelimited()
    {
        int lengthOffset = Position;
        ulong length = ReadVarint();
        if (length > (ulong)(_end - Position))
            throw Error(lengthOffset, $"length {length} runs past the end of the enclosing data (only {_end - Position} bytes left)");
        int start = Position;
        Position += (int)length;
        return (start, Position);
    }

    public string ReadString()
    {
        int offset = Position;
        var (start, end) = ReadLengthDelimited();
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(_buffer, start, end - start);
        }
        catch (DecoderFallbackException)
        {
            throw Error(offset, "string field is not valid UTF-8");
        }
    }

    public ProtobufReader ReadMessage()
    {
        var (start, end) = ReadLengthDelimited();
        return new ProtobufReader(_buffer, start, end, _source);
    }

    /// <summary>Skips a field of an unknown number; groups (wire types 3/4, long deprecated) are rejected.</summary>
    public void Skip(int wireType)
    {
        int offset = Position;
        switch (wireType)
        {
            case WireVarint: ReadVarint(); break;
            case WireFixed64: Require(8, "truncated fixed64"); Position += 8; break;
            case WireLengthDelimited: ReadLengthDelimited(); break;
            case WireFixed32: Require(4, "truncated fixed32"); Position += 4; break;
            default: throw Error(offset, $"unsupported wire type {wireType}");
        }
    }

    /// <summary>Fails unless the field has the expected wire type.</summary>
    public void Expect(int field, int wireType, int expected)
    {
        if (wireType != expected) throw Error(Position, $"field {field} has wire type {wireType}, expected {expected}");
    }

    public InvalidDataException Error(int offset, string what) =>
        new($"{_source}: malformed protobuf at byte offset {offset}: {what}.");

    private void Require(int count, string what)
    {
        if (_end - Position < count) throw Error(Position, what);
    }
}
