using System.Security.Cryptography;
using FedLlm.Transport.Protocol;

namespace FedLlm.Transport.Wire;

/// <summary>
/// Reassembles the vectors a header announced from their chunks, refusing anything that does not add up: unknown
/// names, gaps or overlaps, more bytes than announced, a length limit exceeded, or a checksum that does not match.
/// </summary>
public sealed class VectorAssembler
{
    private readonly Dictionary<string, (VectorInfo Info, byte[] Bytes, long Received)> _vectors = new(StringComparer.Ordinal);

    /// <param name="maxValues">Largest vector accepted (protects the receiver's memory from a hostile header).</param>
    public VectorAssembler(IEnumerable<VectorInfo> announced, long maxValues)
    {
        foreach (var info in announced)
        {
            // An opaque vector (a ciphertext) counts bytes; one encrypted value costs at most 63 bits, so 8 bytes.
            long limit = info.Format == WireFormat.Opaque ? maxValues * 8 : maxValues;
            if (info.Length < 0 || info.Length > limit)
                throw new InvalidDataException($"vector '{info.Name}' announces {info.Length} {(info.Format == WireFormat.Opaque ? "bytes" : "values")}; at most {limit} are accepted");
            if (!_vectors.TryAdd(info.Name, (info, new byte[info.Length * VectorCodec.BytesPerValue(info.Format)], 0)))
                throw new InvalidDataException($"vector '{info.Name}' is announced twice");
        }
    }

    public void Add(VectorChunk chunk)
    {
        if (!_vectors.TryGetValue(chunk.Name, out var entry)) throw new InvalidDataException($"chunk for unannounced vector '{chunk.Name}'");
        // Chunks arrive in order; anything else is a broken or malicious sender.
        if (chunk.Offset != entry.Received)
            throw new InvalidDataException($"vector '{chunk.Name}': chunk at byte {chunk.Offset}, expected {entry.Received}");
        if (entry.Received + chunk.Data.Length > entry.Bytes.Length)
            throw new InvalidDataException($"vector '{chunk.Name}': more bytes than the {entry.Bytes.Length} announced");
        chunk.Data.Span.CopyTo(entry.Bytes.AsSpan((int)entry.Received));
        _vectors[chunk.Name] = entry with { Received = entry.Received + chunk.Data.Length };
    }

    /// <summary>The decoded vectors, after checking every one arrived whole and intact.</summary>
    public ReceivedVectors Complete()
    {
        var values = new Dictionary<string, float[]>(StringComparer.Ordinal);
        var opaque = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var (name, (info, bytes, received)) in _vectors)
        {
            if (received != bytes.Length) throw new InvalidDataException($"vector '{name}': received {received} of {bytes.Length} bytes");
            if (!SHA256.HashData(bytes).AsSpan().SequenceEqual(info.Sha256.Span))
                throw new InvalidDataException($"vector '{name}': checksum mismatch (corrupted in transit)");
            if (info.Format == WireFormat.Opaque) opaque[name] = bytes;
            else values[name] = VectorCodec.Decode(bytes, info.Format);
        }
        return new ReceivedVectors(values, opaque);
    }
}

/// <summary>What arrived: float vectors by name, and opaque byte vectors (ciphertexts) by name.</summary>
public sealed record ReceivedVectors(Dictionary<string, float[]> Values, Dictionary<string, byte[]> Opaque);
