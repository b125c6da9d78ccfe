namespace FedLlm.Encryption.Homomorphic;

/// <summary>
/// Twiddle factors for the negacyclic NTT of Z_p[X]/(X^N+1): powers of a primitive 2N-th root ψ stored in
/// bit-reversed order, each with its Shoup companion. ψ is the first candidate x^((p−1)/2N), x = 2, 3, …, with
/// ψ^N = −1, so the evaluation order (and thus the meaning of a mask sampled in the NTT domain) is a function of p alone.
/// </summary>
internal sealed class NttTables
{
    public NttTables(ulong prime, int ringDegree)
    {
        if (prime >= 1UL << 61) throw new ArgumentOutOfRangeException(nameof(prime), "NTT primes must be below 2^61 (lazy butterflies keep values below 4p)");
        if ((prime - 1) % (2UL * (ulong)ringDegree) != 0) throw new ArgumentException($"prime {prime} is not ≡ 1 mod 2N = {2 * ringDegree}", nameof(prime));
        Prime = prime;
        RingDegree = ringDegree;
        LogDegree = System.Numerics.BitOperations.Log2((uint)ringDegree);

        ulong psi = FindPrimitiveRoot(prime, ringDegree);
        ulong psiInverse = ModularArithmetic.InversePrime(psi, prime);
        RootPowers = new ulong[ringDegree];
        RootPowersShoup = new ulong[ringDegree];
        InverseRootPowers = new ulong[ringDegree];
        InverseRootPowersShoup = new ulong[ringDegree];
        ulong power = 1, inversePower = 1;
        for (int i = 0; i < ringDegree; i++)
        {
            int reversed = ReverseBits(i, LogDegree);
            RootPowers[reversed] = power;
            InverseRootPowers[reversed] = inversePower;
            power = ModularArithmetic.Multiply(power, psi, prime);
            inversePower = ModularArithmetic.Multiply(inversePower, psiInverse, prime);
        }
        for (int i = 0; i < ringDegree; i++)
        {
            RootPowersShoup[i] = ModularArithmetic.ShoupPrecompute(RootPowers[i], prime);
            InverseRootPowersShoup[i] = ModularArithmetic.ShoupPrecompute(InverseRootPowers[i], prime);
        }
        DegreeInverse = ModularArithmetic.InversePrime((ulong)ringDegree, prime);
        DegreeInverseShoup = ModularArithmetic.ShoupPrecompute(DegreeInverse, prime);
    }

    public ulong Prime { get; }
    public int RingDegree { get; }
    public int LogDegree { get; }
    public ulong[] RootPowers { get; }
    public ulong[] RootPowersShoup { get; }
    public ulong[] InverseRootPowers { get; }
    public ulong[] InverseRootPowersShoup { get; }
    public ulong DegreeInverse { get; }
    public ulong DegreeInverseShoup { get; }

    private static ulong FindPrimitiveRoot(ulong prime, int ringDegree)
    {
        ulong exponent = (prime - 1) / (2UL * (ulong)ringDegree);
        for (ulong x = 2; x < prime; x++)
        {
            ulong candidate = ModularArithmetic.Power(x, exponent, prime);
            // The order of candidate divides 2N (a power of two); ψ^N = −1 rules out every proper divisor.
            if (ModularArithmetic.Power(candidate, (ulong)ringDegree, prime) == prime - 1) return candidate;
        }
        throw new InvalidOperationException($"no primitive {2 * ringDegree}-th root of unity modulo {prime}");
    }

    private static int ReverseBits(int value, int bitCount)
    {
        int result = 0;
        for (int i = 0; i < bitCount; i++)
        {
            result = (result << 1) | ((value >> i) & 1);
        }
        return result;
    }
}
