using System.Buffers.Binary;
using System.Security.Cryptography;

namespace FedLlm.Encryption.Homomorphic;

/// <summary>
/// Parameters of FedLlm's additive RLWE scheme (see docs/homomorphic-encryption.md): ring Z_q[X]/(X^N+1) with q a
/// product of NTT-friendly primes, plaintext modulus t, scale Δ = ⌊q/t⌋, and the fixed-point encoding (values clipped
/// to [−B, B], scaled by 2^f). An instance is always valid: the constructor runs <see cref="Validate"/>, which refuses
/// insecure moduli (HE standard table), plaintext overflow, and a noise budget that K_max·W_max could exhaust.
/// </summary>
public sealed class HeParameters
{
    /// <summary>Error coefficients are centred binomial with η = 21: |e| ≤ 21 always, σ = √10.5 ≈ 3.24.</summary>
    public const int ErrorBound = 21;

    /// <summary>Wire coefficients are packed in at most this many bits, so one value costs ≤ 2× its fp32 size.</summary>
    public const int MaxModulusBitLength = 63;

    private const int MaxFractionalBits = 40;
    private readonly ulong[] _moduli;
    private readonly byte[] _fingerprint;

    public HeParameters(int ringDegree, IReadOnlyList<ulong> moduli, ulong plaintextModulus, int fractionalBits, double clipBound,
        int maxClients, long maxWeight)
    {
        ArgumentNullException.ThrowIfNull(moduli);
        RingDegree = ringDegree;
        _moduli = [.. moduli];
        PlaintextModulus = plaintextModulus;
        FractionalBits = fractionalBits;
        ClipBound = clipBound;
        MaxClients = maxClients;
        MaxWeight = maxWeight;
        Validate();

        CiphertextModulus = (ulong)ProductUpToWireLimit(_moduli); // Validate ensured it is below 2^63
        ScalingFactor = CiphertextModulus / PlaintextModulus;
        EncodedBound = (long)EncodedMagnitude(ClipBound, FractionalBits);
        CoefficientBits = ModularArithmetic.BitLength(CiphertextModulus - 1);
        Tables = [.. _moduli.Select(p => new NttTables(p, ringDegree))];
        Crt = new CrtComposer(_moduli, CiphertextModulus);
        _fingerprint = ComputeFingerprint();
    }

    public int RingDegree { get; }
    public IReadOnlyList<ulong> Moduli => _moduli;
    /// <summary>q = ∏ moduli (below 2^63).</summary>
    public ulong CiphertextModulus { get; }
    /// <summary>t: the weighted integer sum Σ w_i·m_i stays in (−t/2, t/2).</summary>
    public ulong PlaintextModulus { get; }
    /// <summary>Δ = ⌊q/t⌋.</summary>
    public ulong ScalingFactor { get; }
    public int FractionalBits { get; }
    public double ClipBound { get; }
    public int MaxClients { get; }
    public long MaxWeight { get; }
    public long MaxTotalWeight => MaxClients * MaxWeight;
    /// <summary>Largest encoded magnitude round(B·2^f).</summary>
    public long EncodedBound { get; }
    /// <summary>Bits per ciphertext coefficient on the wire: bit length of q − 1.</summary>
    public int CoefficientBits { get; }
    /// <summary>Σ bit lengths of the moduli, the quantity compared with the security table.</summary>
    public int ModulusBits => _moduli.Sum(ModularArithmetic.BitLength);
    /// <summary>Per-value decoding error bound of the weighted mean: 2^−(f+1) (plus float rounding of the result).</summary>
    public double DecodingErrorBound => Math.Pow(2, -(FractionalBits + 1));
    /// <summary>16-byte SHA-256 prefix over every parameter; ciphertexts and exported keys carry it.</summary>
    public ReadOnlySpan<byte> Fingerprint => _fingerprint;
    public string FingerprintHex => Convert.ToHexString(_fingerprint);

    internal NttTables[] Tables { get; }
    internal CrtComposer Crt { get; }

    /// <summary>
    /// Smallest secure parameters for the given encoding and aggregation limits: t = 2·K·W·round(B·2^f) + 1,
    /// Δ_min = 2·K·W·η + 1, and q ≥ t·Δ_min of the fewest bits (see <see cref="ChooseModuli"/>).
    /// </summary>
    public static HeParameters Create(int ringDegree = 4096, double clipBound = 1.0, int fractionalBits = 20, int maxClients = 64,
        long maxWeight = 1024)
    {
        CheckEncodingAndLimits(fractionalBits, clipBound, maxClients, maxWeight);
        long encodedBound = (long)EncodedMagnitude(clipBound, fractionalBits);
        UInt128 totalWeight = (UInt128)(ulong)maxClients * (ulong)maxWeight;
        UInt128 plaintextModulus = 2 * totalWeight * (ulong)encodedBound + 1;
        UInt128 minimumScale = 2 * totalWeight * ErrorBound + 1;
        UInt128 minimumModulus = plaintextModulus * minimumScale;
        if (minimumModulus >= (UInt128)1 << MaxModulusBitLength)
        {
            throw new ArgumentException(
                $"the encoding needs q ≥ t·Δ_min = {plaintextModulus}·{minimumScale} ≈ 2^{Log2(minimumModulus):F1}, above the 2^{MaxModulusBitLength} " +
                $"wire limit; lower the fractional bits ({fractionalBits}), clip bound ({clipBound}), max clients ({maxClients}) or max weight ({maxWeight})");
        }

        ulong[] moduli = ChooseModuli(minimumModulus, ringDegree);
        return new HeParameters(ringDegree, moduli, (ulong)plaintextModulus, fractionalBits, clipBound, maxClients, maxWeight);
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming the violated constraint. Idempotent.</summary>
    public void Validate()
    {
        int maxBits = HeSecurityStandard.MaxModulusBits(RingDegree);
        if (maxBits == 0)
        {
            throw new ArgumentException($"ring degree N = {RingDegree} is not one of {string.Join(", ", HeSecurityStandard.RingDegrees)}");
        }
        if (_moduli.Length == 0) throw new ArgumentException("at least one ciphertext modulus is required");
        for (int i = 0; i < _moduli.Length; i++)
        {
            ulong p = _moduli[i];
            if (p >= 1UL << 61) throw new ArgumentException($"modulus #{i} = {p} is not below 2^61");
            if (!ModularArithmetic.IsPrime(p)) throw new ArgumentException($"modulus #{i} = {p} is not prime");
            if ((p - 1) % (2UL * (ulong)RingDegree) != 0) throw new ArgumentException($"modulus #{i} = {p} is not ≡ 1 mod 2N = {2 * RingDegree}");
            if (Array.IndexOf(_moduli, p) != i) throw new ArgumentException($"modulus #{i} = {p} is repeated");
        }
        int modulusBits = ModulusBits;
        if (modulusBits > maxBits)
        {
            throw new ArgumentException(
                $"insecure parameters: log2 q = {modulusBits} bits exceeds {maxBits}, the {HeSecurityStandard.SecurityBits}-bit classical limit for " +
                $"N = {RingDegree} with a ternary secret (HomomorphicEncryption.org standard v1.1, Table 1); use a larger N or smaller moduli");
        }
        UInt128 q = ProductUpToWireLimit(_moduli);
        if (q >= (UInt128)1 << MaxModulusBitLength) throw new ArgumentException($"q = ∏ moduli must be below 2^{MaxModulusBitLength} (wire coefficients are ≤ 63 bits)");

        CheckEncodingAndLimits(FractionalBits, ClipBound, MaxClients, MaxWeight);
        long encodedBound = (long)EncodedMagnitude(ClipBound, FractionalBits);
        UInt128 totalWeight = (UInt128)(ulong)MaxClients * (ulong)MaxWeight;
        UInt128 largestSum = totalWeight * (ulong)encodedBound;
        if (PlaintextModulus <= 2 * largestSum)
        {
            throw new ArgumentException(
                $"plaintext modulus t = {PlaintextModulus} must exceed 2·K_max·W_max·round(B·2^f) = {2 * largestSum} so the weighted sum cannot wrap");
        }
        if (PlaintextModulus >= (ulong)q) throw new ArgumentException($"plaintext modulus t = {PlaintextModulus} must be below q = {q}");
        ulong scale = (ulong)q / PlaintextModulus;
        UInt128 noiseBound = totalWeight * ErrorBound;
        if (scale <= 2 * noiseBound)
        {
            throw new ArgumentException(
                $"noise budget exceeded: after summing weight up to K_max·W_max = {totalWeight} the noise can reach {noiseBound}, " +
                $"but decryption needs it below Δ/2 = {scale / 2} (Δ = ⌊q/t⌋ = {scale}); enlarge q or lower t, K_max or W_max");
        }
    }

    public override string ToString() =>
        $"N={RingDegree}, q=[{string.Join(", ", _moduli)}] ({ModulusBits} bits), t={PlaintextModulus}, Δ={ScalingFactor}, f={FractionalBits}, " +
        $"B={ClipBound}, K_max={MaxClients}, W_max={MaxWeight}";

    private static void CheckEncodingAndLimits(int fractionalBits, double clipBound, int maxClients, long maxWeight)
    {
        if (fractionalBits is < 0 or > MaxFractionalBits) throw new ArgumentException($"fractional bits {fractionalBits} must be in [0, {MaxFractionalBits}]");
        if (!double.IsFinite(clipBound) || clipBound <= 0) throw new ArgumentException($"clip bound {clipBound} must be finite and positive");
        double encoded = EncodedMagnitude(clipBound, fractionalBits);
        if (encoded < 1 || encoded > (1L << 52)) throw new ArgumentException($"round(B·2^f) = {encoded} must be in [1, 2^52]");
        if (maxClients < 1) throw new ArgumentException($"max clients {maxClients} must be at least 1");
        if (maxWeight is < 1 or > 1L << 31) throw new ArgumentException($"max weight {maxWeight} must be in [1, 2^31]");
    }

    /// <summary>round(B·2^f): the largest encoded magnitude.</summary>
    private static double EncodedMagnitude(double clipBound, int fractionalBits) => Math.Round(clipBound * Math.Pow(2, fractionalBits));

    /// <summary>∏ moduli, stopping as soon as it reaches the 2^63 wire limit, so the product never wraps.</summary>
    private static UInt128 ProductUpToWireLimit(ulong[] moduli)
    {
        UInt128 product = 1;
        foreach (ulong p in moduli)
        {
            product *= p;
            if (product >= (UInt128)1 << MaxModulusBitLength) break;
        }
        return product;
    }

    /// <summary>
    /// Smallest wire width b with NTT primes just below 2^b (one prime when b ≤ 60, else two of ~b/2 bits) whose
    /// product reaches the minimum; near-power-of-two primes keep mask sampling cheap and give Δ extra headroom.
    /// </summary>
    private static ulong[] ChooseModuli(UInt128 minimumModulus, int ringDegree)
    {
        for (int bits = ModularArithmetic.BitLength((ulong)(minimumModulus - 1)); bits <= MaxModulusBitLength; bits++)
        {
            ulong[] moduli;
            if (bits <= 60)
            {
                moduli = [ModularArithmetic.FindNttPrimeBelow((UInt128)1 << bits, ringDegree)];
            }
            else
            {
                ulong first = ModularArithmetic.FindNttPrimeBelow((UInt128)1 << ((bits + 1) / 2), ringDegree);
                moduli = [first, ModularArithmetic.FindNttPrimeBelow((UInt128)1 << (bits / 2), ringDegree, exclude: first)];
            }
            // minimumModulus is below the wire limit, so a product capped there compares the same way.
            if (ProductUpToWireLimit(moduli) >= minimumModulus) return moduli;
        }
        throw new ArgumentException($"no NTT prime set of at most {MaxModulusBitLength} bits reaches q ≥ {minimumModulus}");
    }

    private static double Log2(UInt128 value) => Math.Log2((double)value);

    private byte[] ComputeFingerprint()
    {
        var buffer = new byte[16 + 8 * _moduli.Length + 8 * 6];
        "FedLlm.HE/1\0\0\0\0\0"u8.CopyTo(buffer);
        int offset = 16;
        foreach (ulong p in _moduli) { BinaryPrimitives.WriteUInt64LittleEndian(buffer.AsSpan(offset), p); offset += 8; }
        BinaryPrimitives.WriteInt64LittleEndian(buffer.AsSpan(offset), RingDegree); offset += 8;
        BinaryPrimitives.WriteUInt64LittleEndian(buffer.AsSpan(offset), PlaintextModulus); offset += 8;
        BinaryPrimitives.WriteInt64LittleEndian(buffer.AsSpan(offset), FractionalBits); offset += 8;
        BinaryPrimitives.WriteInt64LittleEndian(buffer.AsSpan(offset), BitConverter.DoubleToInt64Bits(ClipBound)); offset += 8;
        BinaryPrimitives.WriteInt64LittleEndian(buffer.AsSpan(offset), MaxClients); offset += 8;
        BinaryPrimitives.WriteInt64LittleEndian(buffer.AsSpan(offset), MaxWeight);
        return SHA256.HashData(buffer)[..16];
    }
}
