using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace FedLlm.Encryption.Homomorphic;

/// <summary>
/// The shared symmetric secret s ∈ R with uniform ternary coefficients drawn from the OS CSPRNG. One key holder
/// generates it and sends <see cref="Export"/> to the other clients over their authenticated, confidential channel;
/// the server never receives it. Buffers are pinned (the GC cannot leave copies behind) and zeroed on
/// <see cref="Dispose"/>.
/// </summary>
public sealed class HeSecretKey : IDisposable
{
    private const ushort FormatVersion = 1;
    private const int HeaderSize = 28;
    private static ReadOnlySpan<byte> Magic => "FLSK"u8;

    private readonly sbyte[] _coefficients;
    private readonly ulong[][] _scaledNtt;
    private readonly ulong[][] _scaledNttShoup;
    private readonly byte[] _fingerprint;
    private bool _disposed;

    private HeSecretKey(HeParameters parameters, sbyte[] coefficients)
    {
        _coefficients = coefficients;
        _fingerprint = parameters.Fingerprint.ToArray();
        int n = parameters.RingDegree;
        _scaledNtt = new ulong[parameters.Moduli.Count][];
        _scaledNttShoup = new ulong[parameters.Moduli.Count][];
        for (int i = 0; i < parameters.Moduli.Count; i++)
        {
            NttTables tables = parameters.Tables[i];
            ulong p = tables.Prime;
            ulong[] values = GC.AllocateArray<ulong>(n, pinned: true);
            ulong[] shoup = GC.AllocateArray<ulong>(n, pinned: true);
            for (int k = 0; k < n; k++) values[k] = coefficients[k] < 0 ? p - 1 : (ulong)coefficients[k];
            NegacyclicNtt.Forward(values, tables);
            // Fold 1/N into ŝ so decryption and encryption can skip the scaling pass of the inverse NTT.
            for (int k = 0; k < n; k++)
            {
                values[k] = ModularArithmetic.MultiplyShoup(values[k], tables.DegreeInverse, tables.DegreeInverseShoup, p);
                shoup[k] = ModularArithmetic.ShoupPrecompute(values[k], p);
            }
            _scaledNtt[i] = values;
            _scaledNttShoup[i] = shoup;
        }
    }

    public int RingDegree => _coefficients.Length;

    /// <summary>Samples a fresh key for these parameters.</summary>
    public static HeSecretKey Generate(HeParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        int n = parameters.RingDegree;
        sbyte[] coefficients = GC.AllocateArray<sbyte>(n, pinned: true);
        byte[] random = GC.AllocateArray<byte>(256, pinned: true);
        try
        {
            int filled = 0;
            while (filled < n)
            {
                RandomNumberGenerator.Fill(random);
                foreach (byte b in random)
                {
                    // 255 = 3·85: rejecting 255 leaves each residue mod 3 equally likely.
                    if (b == 255) continue;
                    coefficients[filled++] = (sbyte)(b % 3 - 1);
                    if (filled == n) break;
                }
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(random);
        }
        return new HeSecretKey(parameters, coefficients);
    }

    /// <summary>
    /// Serialises the key: "FLSK", version u16, reserved u16, parameter fingerprint (16 bytes), N i32, then N ternary
    /// coefficients at 2 bits each (00 → 0, 01 → +1, 10 → −1). The caller must zero the returned array after sending it.
    /// </summary>
    public byte[] Export()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        int n = _coefficients.Length;
        var bytes = new byte[HeaderSize + n / 4];
        Magic.CopyTo(bytes);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(4), FormatVersion);
        _fingerprint.CopyTo(bytes.AsSpan(8));
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(24), n);
        for (int k = 0; k < n; k++)
        {
            int code = _coefficients[k] switch { 0 => 0, 1 => 1, _ => 2 };
            bytes[HeaderSize + k / 4] |= (byte)(code << (2 * (k % 4)));
        }
        return bytes;
    }

    /// <summary>Restores a key exported under the same parameters.</summary>
    /// <exception cref="InvalidDataException">The bytes are malformed or belong to other parameters.</exception>
    public static HeSecretKey Import(ReadOnlySpan<byte> bytes, HeParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        int n = parameters.RingDegree;
        if (bytes.Length < HeaderSize || !bytes[..4].SequenceEqual(Magic)) throw Invalid("missing \"FLSK\" header");
        ushort version = BinaryPrimitives.ReadUInt16LittleEndian(bytes[4..]);
        if (version != FormatVersion) throw Invalid($"format version {version} is not supported (expected {FormatVersion})");
        if (BinaryPrimitives.ReadUInt16LittleEndian(bytes[6..]) != 0) throw Invalid("reserved header field is not zero");
        if (!bytes.Slice(8, 16).SequenceEqual(parameters.Fingerprint))
        {
            throw Invalid($"key belongs to other parameters (fingerprint {Convert.ToHexString(bytes.Slice(8, 16))}, expected {parameters.FingerprintHex})");
        }
        int degree = BinaryPrimitives.ReadInt32LittleEndian(bytes[24..]);
        if (degree != n) throw Invalid($"ring degree {degree} does not match N = {n}");
        if (bytes.Length != HeaderSize + n / 4) throw Invalid($"{bytes.Length} bytes, expected {HeaderSize + n / 4}");
        sbyte[] coefficients = GC.AllocateArray<sbyte>(n, pinned: true);
        for (int k = 0; k < n; k++)
        {
            int code = (bytes[HeaderSize + k / 4] >> (2 * (k % 4))) & 3;
            if (code == 3)
            {
                CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(coefficients.AsSpan()));
                throw Invalid($"coefficient {k} has the invalid code 0b11");
            }
            coefficients[k] = (sbyte)(code == 2 ? -1 : code);
        }
        return new HeSecretKey(parameters, coefficients);
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(_coefficients.AsSpan()));
        foreach (ulong[] values in _scaledNtt) CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(values.AsSpan()));
        foreach (ulong[] values in _scaledNttShoup) CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(values.AsSpan()));
    }

    /// <summary>NTT(s)·N^−1 mod p_i and its Shoup companions.</summary>
    internal (ulong[] Values, ulong[] Shoup) ScaledNtt(int primeIndex)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return (_scaledNtt[primeIndex], _scaledNttShoup[primeIndex]);
    }

    internal ReadOnlySpan<sbyte> Coefficients
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _coefficients;
        }
    }

    internal void EnsureMatches(HeParameters parameters)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!parameters.Fingerprint.SequenceEqual(_fingerprint))
        {
            throw new ArgumentException($"secret key was made for parameters {Convert.ToHexString(_fingerprint)}, not {parameters.FingerprintHex}");
        }
    }

    private static InvalidDataException Invalid(string problem) => new($"Secret key: {problem}.");
}
