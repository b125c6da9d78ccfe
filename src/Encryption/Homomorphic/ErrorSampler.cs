using System.Numerics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace FedLlm.Encryption.Homomorphic;

/// <summary>Source of encryption error coefficients; every sample must satisfy |e| ≤ <see cref="HeParameters.ErrorBound"/>.</summary>
internal interface IErrorSampler
{
    void Sample(Span<long> errors);
}

/// <summary>
/// Centred binomial errors with η = 21 from the OS CSPRNG: e = popcount(21 random bits) − popcount(21 random bits).
/// Variance η/2 = 10.5 (σ ≈ 3.24, matching the σ ≈ 3.2 the HE standard assumes) and a hard bound |e| ≤ 21,
/// which makes the noise budget a worst-case guarantee rather than a tail estimate.
/// Not thread-safe (reuses its buffer), like the encryptor that owns it.
/// </summary>
internal sealed class CenteredBinomialSampler : IErrorSampler
{
    private const ulong TwentyOneBits = (1UL << 21) - 1;

    private ulong[] _random = [];

    public void Sample(Span<long> errors)
    {
        if (_random.Length < errors.Length) _random = new ulong[errors.Length];
        Span<ulong> random = _random.AsSpan(0, errors.Length);
        try
        {
            RandomNumberGenerator.Fill(MemoryMarshal.AsBytes(random));
            for (int k = 0; k < random.Length; k++)
            {
                ulong r = random[k];
                errors[k] = BitOperations.PopCount(r & TwentyOneBits) - BitOperations.PopCount((r >> 21) & TwentyOneBits);
            }
        }
        finally
        {
            // Knowing e for a ciphertext turns it into a noiseless linear equation in the secret key.
            CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(random));
        }
    }
}
