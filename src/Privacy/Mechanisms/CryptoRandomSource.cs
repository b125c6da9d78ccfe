using System.Buffers.Binary;
using System.Security.Cryptography;

namespace FedLlm.Privacy.Mechanisms;

/// <summary>Operating-system CSPRNG (<see cref="RandomNumberGenerator"/>), buffered. Use for production noise.</summary>
public sealed class CryptoRandomSource : IRandomSource
{
    private readonly byte[] _buffer = new byte[4096];
    private int _position;

    public CryptoRandomSource() => _position = _buffer.Length;

    public ulong NextUInt64()
    {
        if (_position + sizeof(ulong) > _buffer.Length)
        {
            RandomNumberGenerator.Fill(_buffer);
            _position = 0;
        }
        ulong value = BinaryPrimitives.ReadUInt64LittleEndian(_buffer.AsSpan(_position));
        _position += sizeof(ulong);
        return value;
    }
}
