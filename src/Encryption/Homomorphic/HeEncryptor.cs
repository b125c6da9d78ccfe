using System.Security.Cryptography;

namespace FedLlm.Encryption.Homomorphic;

/// <summary>
/// Client-side encryption of a float vector under the shared secret key. Values are clipped to [−B, B], encoded as
/// m = round(x·2^f), and packed N per chunk; each call draws a fresh 32-byte mask seed, so every chunk of every
/// ciphertext has its own uniform a (RLWE sample) and a fresh centred-binomial error. Not thread-safe.
/// </summary>
public sealed class HeEncryptor
{
    private readonly HeParameters _parameters;
    private readonly HeSecretKey _secretKey;
    private readonly IErrorSampler _errorSampler;

    public HeEncryptor(HeParameters parameters, HeSecretKey secretKey)
        : this(parameters, secretKey, new CenteredBinomialSampler())
    {
    }

    internal HeEncryptor(HeParameters parameters, HeSecretKey secretKey, IErrorSampler errorSampler)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(secretKey);
        secretKey.EnsureMatches(parameters);
        _parameters = parameters;
        _secretKey = secretKey;
        _errorSampler = errorSampler;
    }

    /// <summary>Encrypts the values: c0 = −a·s + e + Δ·m mod q per coefficient, a expanded from a fresh public seed.</summary>
    /// <exception cref="ArgumentException">A value is NaN or infinite.</exception>
    public EncryptedVector Encrypt(ReadOnlySpan<float> values)
    {
        _secretKey.EnsureMatches(_parameters);
        int n = _parameters.RingDegree;
        ulong q = _parameters.CiphertextModulus;
        long scale = (long)_parameters.ScalingFactor;
        double clip = _parameters.ClipBound;
        double fixedPointScale = Math.Pow(2, _parameters.FractionalBits);

        byte[] seed = RandomNumberGenerator.GetBytes(MaskExpander.SeedSize);
        var body = new ulong[values.Length];
        var maskTimesSecret = new ulong[n];
        var errors = new long[n];
        var product = new MaskSecretProduct(_parameters, _secretKey);
        using var expander = new MaskExpander(seed);
        MaskExpander[] expanders = [expander];
        try
        {
            for (int offset = 0, chunk = 0; offset < values.Length; offset += n, chunk++)
            {
                int count = Math.Min(n, values.Length - offset);
                Span<ulong> asProduct = maskTimesSecret.AsSpan(0, count);
                product.Compute(chunk, expanders, null, asProduct);
                Span<long> chunkErrors = errors.AsSpan(0, count);
                _errorSampler.Sample(chunkErrors);
                ReadOnlySpan<float> chunkValues = values.Slice(offset, count);
                Span<ulong> chunkBody = body.AsSpan(offset, count);
                for (int k = 0; k < count; k++)
                {
                    float value = chunkValues[k];
                    if (!float.IsFinite(value)) throw new ArgumentException($"value at index {offset + k} is {value}; only finite values can be encrypted", nameof(values));
                    long encoded = (long)Math.Round(Math.Clamp(value, -clip, clip) * fixedPointScale);
                    long noisy = scale * encoded + chunkErrors[k]; // |Δ·m + e| < q/2 by parameter validation
                    ulong reduced = noisy >= 0 ? (ulong)noisy : (ulong)(noisy + (long)q);
                    chunkBody[k] = ModularArithmetic.Subtract(reduced, asProduct[k], q);
                }
            }
        }
        finally
        {
            // a·s together with c0 would reveal e + Δm; e alone would leak a linear equation in s.
            product.Clear();
            CryptographicOperations.ZeroMemory(System.Runtime.InteropServices.MemoryMarshal.AsBytes(maskTimesSecret.AsSpan()));
            CryptographicOperations.ZeroMemory(System.Runtime.InteropServices.MemoryMarshal.AsBytes(errors.AsSpan()));
        }
        return new EncryptedVector(_parameters, body, [new MaskTerm(seed, 1)]);
    }
}
