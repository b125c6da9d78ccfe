using System.Runtime.CompilerServices;

namespace FedLlm.Encryption.Homomorphic;

/// <summary>
/// Word-sized modular arithmetic for moduli below 2^63. Hot paths use Shoup multiplication: for a fixed
/// multiplier w &lt; m we precompute w' = floor(w·2^64 / m); then x·w mod m = x·w − m·hi(x·w') lands in [0, 2m)
/// for every 64-bit x (Harvey 2014, "Faster arithmetic for number-theoretic transforms").
/// </summary>
internal static class ModularArithmetic
{
    public static ulong ShoupPrecompute(ulong multiplier, ulong modulus) =>
        (ulong)(((UInt128)multiplier << 64) / modulus);

    /// <summary>x·w mod m in [0, 2m); valid for any 64-bit x when m &lt; 2^63.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong MultiplyShoupLazy(ulong x, ulong w, ulong wShoup, ulong modulus)
    {
        ulong quotient = Math.BigMul(x, wShoup, out _);
        return unchecked(x * w - quotient * modulus);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong MultiplyShoup(ulong x, ulong w, ulong wShoup, ulong modulus)
    {
        ulong r = MultiplyShoupLazy(x, w, wShoup, modulus);
        return r >= modulus ? r - modulus : r;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Add(ulong a, ulong b, ulong modulus)
    {
        ulong s = a + b;
        return s >= modulus ? s - modulus : s;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Subtract(ulong a, ulong b, ulong modulus) => a >= b ? a - b : a + modulus - b;

    /// <summary>Slow general product, for precomputation only.</summary>
    public static ulong Multiply(ulong a, ulong b, ulong modulus) => (ulong)((UInt128)a * b % modulus);

    public static ulong Power(ulong value, ulong exponent, ulong modulus)
    {
        ulong result = 1 % modulus;
        ulong baseValue = value % modulus;
        while (exponent != 0)
        {
            if ((exponent & 1) != 0) result = Multiply(result, baseValue, modulus);
            baseValue = Multiply(baseValue, baseValue, modulus);
            exponent >>= 1;
        }
        return result;
    }

    /// <summary>Inverse modulo a prime via Fermat's little theorem.</summary>
    public static ulong InversePrime(ulong value, ulong prime) => Power(value, prime - 2, prime);

    /// <summary>Deterministic Miller–Rabin: the first twelve prime bases decide every n &lt; 3.3·10^24.</summary>
    public static bool IsPrime(ulong n)
    {
        if (n < 2) return false;
        ReadOnlySpan<ulong> bases = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37];
        foreach (ulong p in bases)
        {
            if (n % p == 0) return n == p;
        }
        ulong d = n - 1;
        int r = 0;
        while ((d & 1) == 0) { d >>= 1; r++; }
        foreach (ulong a in bases)
        {
            ulong x = Power(a, d, n);
            if (x == 1 || x == n - 1) continue;
            bool composite = true;
            for (int i = 1; i < r && composite; i++)
            {
                x = Multiply(x, x, n);
                if (x == n - 1) composite = false;
            }
            if (composite) return false;
        }
        return true;
    }

    /// <summary>Smallest prime p ≥ minimum with p ≡ 1 (mod 2N), so that Z_p holds a primitive 2N-th root of unity.</summary>
    public static ulong FindNttPrimeAtLeast(UInt128 minimum, int ringDegree)
    {
        ulong step = 2UL * (ulong)ringDegree;
        UInt128 k = minimum <= 1 ? 1 : (minimum - 1 + step - 1) / step;
        for (UInt128 candidate = k * step + 1; candidate < ((UInt128)1 << 63); candidate += step)
        {
            if (IsPrime((ulong)candidate)) return (ulong)candidate;
        }
        throw new ArgumentOutOfRangeException(nameof(minimum), $"no NTT-friendly prime ≥ {minimum} below 2^63 for N = {ringDegree}");
    }

    /// <summary>
    /// Largest prime p &lt; limit with p ≡ 1 (mod 2N), skipping <paramref name="exclude"/>. Primes just below a power of
    /// two make rejection sampling of uniform residues nearly free and maximise Δ for a given wire width.
    /// </summary>
    public static ulong FindNttPrimeBelow(UInt128 limit, int ringDegree, ulong exclude = 0)
    {
        ulong step = 2UL * (ulong)ringDegree;
        for (UInt128 candidate = (limit - 2) / step * step + 1; candidate > step; candidate -= step)
        {
            if ((ulong)candidate != exclude && IsPrime((ulong)candidate)) return (ulong)candidate;
        }
        throw new ArgumentOutOfRangeException(nameof(limit), $"no NTT-friendly prime below {limit} for N = {ringDegree}");
    }

    public static int BitLength(ulong value) => 64 - System.Numerics.BitOperations.LeadingZeroCount(value);
}
