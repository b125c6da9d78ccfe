namespace FedLlm.Encryption.Homomorphic;

/// <summary>
/// Largest total bit count of the ciphertext modulus q for 128-bit classical security with a uniform ternary secret
/// and error of standard deviation ≈ 3.2: Albrecht et al., "Homomorphic Encryption Security Standard" v1.1
/// (HomomorphicEncryption.org, Nov 2018), Table 1. The same numbers are the 128-bit ternary-secret limits that
/// Microsoft SEAL enforces (native/src/seal/util/hestdparms.h).
/// </summary>
public static class HeSecurityStandard
{
    public const int SecurityBits = 128;

    /// <summary>Allowed ring degrees N (powers of two covered by the table).</summary>
    public static IReadOnlyList<int> RingDegrees { get; } = [1024, 2048, 4096, 8192, 16384, 32768];

    /// <summary>Maximum log2 q for N, or 0 when the table does not cover N.</summary>
    public static int MaxModulusBits(int ringDegree) => ringDegree switch
    {
        1024 => 27,
        2048 => 54,
        4096 => 109,
        8192 => 218,
        16384 => 438,
        32768 => 881,
        _ => 0,
    };
}
