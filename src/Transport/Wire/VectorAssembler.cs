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

    /// <param name="allowance">Which vectors may be announced and how long: nothing else is ever allocated.</param>
    public VectorAssembler(IEnumerable<VectorInfo> announced, VectorAllowance allowance)
    {
        ArgumentNullException.ThrowIfNull(allowance);
        foreach (var info in announced)
        {
            if (allowance.Problem(info) is { } problem) throw new InvalidDataException(problem);
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

/// <summary>
/// What a receiver accepts before allocating anything: vector names (null = any), and lengths bounded by the adapter's
/// length (exactly that length when <see cref="ExactLength"/>). An opaque vector (a ciphertext) counts bytes; one
/// encrypted value costs at most 63 bits, so at most 8 bytes per value.
/// </summary>
public sealed record VectorAllowance(long MaxValues, IReadOnlySet<string>? Names = null, bool ExactLength = false)
{
    /// <summary>Nothing may be announced (an evaluation score or a failure carries no vectors).</summary>
    public static VectorAllowance None { get; } = new(0, new HashSet<string>());

    public string? Problem(VectorInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        if (Names is not null && !Names.Contains(info.Name))
            return Names.Count == 0 ? $"vector '{info.Name}' announced where none is expected"
                : $"vector '{info.Name}' is not expected here (expected: {string.Join(", ", Names.Order(StringComparer.Ordinal))})";
        // proto3 keeps an enum number it does not know; refuse it here, before anything is sized by its width.
        if (!Enum.IsDefined(info.Format)) return $"vector '{info.Name}' has unknown wire format {(int)info.Format}";
        bool opaque = info.Format == WireFormat.Opaque;
        long limit = opaque ? MaxValues * 8 : MaxValues;
        if (info.Length < 0 || info.Length > limit)
            return $"vector '{info.Name}' announces {info.Length} {(opaque ? "bytes" : "values")}; at most {limit} are accepted";
        if (ExactLength && !opaque && info.Length != MaxValues)
            return $"vector '{info.Name}' announces {info.Length} values; the adapter has {MaxValues}";
        return null;
    }
}

/// <summary>What arrived: float vectors by name, and opaque byte vectors (ciphertexts) by name.</summary>
public sealed record ReceivedVectors(Dictionary<string, float[]> Values, Dictionary<string, byte[]> Opaque);
