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
            if (info.Length < 0 || info.Length > maxValues)
                throw new InvalidDataException($"vector '{info.Name}' announces {info.Length} values; at most {maxValues} are accepted");
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
    public Dictionary<string, float[]> Complete()
    {
        var result = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (var (name, (info, bytes, received)) in _vectors)
        {
            if (received != bytes.Length) throw new InvalidDataException($"vector '{name}': received {received} of {bytes.Length} bytes");
            if (!SHA256.HashData(bytes).AsSpan().SequenceEqual(info.Sha256.Span))
                throw new InvalidDataException($"vector '{name}': checksum mismatch (corrupted in transit)");
            result[name] = VectorCodec.Decode(bytes, info.Format);
        }
        return result;
    }
}
