namespace FedLlm.Encryption.Homomorphic;

/// <summary>
/// An encrypted float vector: for chunk j (N values), body_j = −(Σ_i w_i·a_ij)·s + Σ_i w_i·e_ij + Δ·Σ_i w_i·m_ij mod q,
/// where each a_ij is expanded from the public seed of term i. A fresh ciphertext has one term of weight 1; the
/// aggregator's result has one term per client. Only the first Length coefficients of the body are kept (the
/// padding of the last chunk is never needed to decrypt). Holds no secret.
/// </summary>
public sealed class EncryptedVector
{
    private readonly ulong[] _body;
    private readonly MaskTerm[] _terms;

    internal EncryptedVector(HeParameters parameters, ulong[] body, MaskTerm[] terms)
    {
        Parameters = parameters;
        _body = body;
        _terms = terms;
        TotalWeight = terms.Sum(term => term.Weight);
    }

    /// <summary>Number of encrypted values.</summary>
    public int Length => _body.Length;
    public int ChunkCount => (Length + Parameters.RingDegree - 1) / Parameters.RingDegree;
    /// <summary>Number of mask seeds (clients) summed into this ciphertext.</summary>
    public int TermCount => _terms.Length;
    /// <summary>Σ weights of the summed ciphertexts (1 for a fresh one).</summary>
    public long TotalWeight { get; }
    public string ParameterFingerprintHex => Parameters.FingerprintHex;
    /// <summary>Size of <see cref="ToBytes"/> in bytes.</summary>
    public long SerializedSize => SerializedSizeOf(Length, TermCount, Parameters);

    /// <summary>Size in bytes of a serialized vector of <paramref name="length"/> values summed from <paramref name="termCount"/> ciphertexts.</summary>
    public static long SerializedSizeOf(int length, int termCount, HeParameters parameters) =>
        EncryptedVectorFormat.SerializedSize(length, termCount, parameters.CoefficientBits);

    internal HeParameters Parameters { get; }

    /// <summary>Throws when this ciphertext was made under other parameters than <paramref name="parameters"/>.</summary>
    internal void EnsureMatches(HeParameters parameters)
    {
        if (!Parameters.Fingerprint.SequenceEqual(parameters.Fingerprint))
            throw new ArgumentException($"ciphertext was made with parameters {ParameterFingerprintHex}, not {parameters.FingerprintHex}", "ciphertext");
    }
    internal ReadOnlySpan<ulong> Body => _body;
    internal IReadOnlyList<MaskTerm> Terms => _terms;

    public byte[] ToBytes() => EncryptedVectorFormat.Write(this);

    /// <summary>Parses and strictly validates bytes produced by <see cref="ToBytes"/> under the same parameters.</summary>
    /// <exception cref="System.IO.InvalidDataException">The bytes are malformed, truncated, or were made with other parameters.</exception>
    public static EncryptedVector FromBytes(ReadOnlySpan<byte> bytes, HeParameters parameters) => EncryptedVectorFormat.Read(bytes, parameters);
}
