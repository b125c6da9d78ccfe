using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FedLlm.Encryption.Homomorphic;

/// <summary>
/// In-place negacyclic NTT over Z_p[X]/(X^N+1). Forward: Cooley–Tukey, natural-order input, bit-reversed output;
/// inverse: Gentleman–Sande, bit-reversed input, natural output (the merged-twiddle formulation of Longa and
/// Naehrig 2016, "Speeding up the NTT …"). Butterflies are lazy (Harvey 2014): forward values stay below 4p,
/// inverse below 2p, and one final pass reduces to [0, p).
/// </summary>
internal static class NegacyclicNtt
{
    public static void Forward(Span<ulong> values, NttTables tables)
    {
        CheckLength(values, tables);
        int n = tables.RingDegree;
        ulong p = tables.Prime, twoP = 2 * p;
        ref ulong a = ref MemoryMarshal.GetReference(values);
        ref ulong w = ref MemoryMarshal.GetArrayDataReference(tables.RootPowers);
        ref ulong ws = ref MemoryMarshal.GetArrayDataReference(tables.RootPowersShoup);
        int gap = n;
        for (int m = 1; m < n; m <<= 1)
        {
            gap >>= 1;
            for (int i = 0; i < m; i++)
            {
                ulong twiddle = Unsafe.Add(ref w, m + i);
                ulong twiddleShoup = Unsafe.Add(ref ws, m + i);
                ref ulong x = ref Unsafe.Add(ref a, 2 * i * gap);
                ref ulong y = ref Unsafe.Add(ref x, gap);
                for (int j = 0; j < gap; j++)
                {
                    ulong u = Unsafe.Add(ref x, j);
                    if (u >= twoP) u -= twoP;
                    ulong v = ModularArithmetic.MultiplyShoupLazy(Unsafe.Add(ref y, j), twiddle, twiddleShoup, p);
                    Unsafe.Add(ref x, j) = u + v;
                    Unsafe.Add(ref y, j) = u - v + twoP;
                }
            }
        }
        for (int j = 0; j < n; j++)
        {
            ulong u = Unsafe.Add(ref a, j);
            if (u >= twoP) u -= twoP;
            if (u >= p) u -= p;
            Unsafe.Add(ref a, j) = u;
        }
    }

    /// <summary>Inverse transform including the 1/N factor.</summary>
    public static void Inverse(Span<ulong> values, NttTables tables)
    {
        InverseWithoutScaling(values, tables);
        for (int j = 0; j < values.Length; j++)
        {
            values[j] = ModularArithmetic.MultiplyShoup(values[j], tables.DegreeInverse, tables.DegreeInverseShoup, tables.Prime);
        }
    }

    /// <summary>
    /// Inverse transform without the 1/N factor (callers fold it into a precomputed operand, e.g. the secret key).
    /// Input values must be below 2p; output is reduced to [0, p).
    /// </summary>
    public static void InverseWithoutScaling(Span<ulong> values, NttTables tables)
    {
        CheckLength(values, tables);
        int n = tables.RingDegree;
        ulong p = tables.Prime, twoP = 2 * p;
        ref ulong a = ref MemoryMarshal.GetReference(values);
        ref ulong w = ref MemoryMarshal.GetArrayDataReference(tables.InverseRootPowers);
        ref ulong ws = ref MemoryMarshal.GetArrayDataReference(tables.InverseRootPowersShoup);
        int gap = 1;
        for (int m = n; m > 1; m >>= 1)
        {
            int half = m >> 1;
            for (int i = 0; i < half; i++)
            {
                ulong twiddle = Unsafe.Add(ref w, half + i);
                ulong twiddleShoup = Unsafe.Add(ref ws, half + i);
                ref ulong x = ref Unsafe.Add(ref a, 2 * i * gap);
                ref ulong y = ref Unsafe.Add(ref x, gap);
                for (int j = 0; j < gap; j++)
                {
                    ulong u = Unsafe.Add(ref x, j);
                    ulong v = Unsafe.Add(ref y, j);
                    ulong sum = u + v;
                    if (sum >= twoP) sum -= twoP;
                    Unsafe.Add(ref x, j) = sum;
                    Unsafe.Add(ref y, j) = ModularArithmetic.MultiplyShoupLazy(u - v + twoP, twiddle, twiddleShoup, p);
                }
            }
            gap <<= 1;
        }
        for (int j = 0; j < n; j++)
        {
            ulong u = Unsafe.Add(ref a, j);
            if (u >= p) u -= p;
            Unsafe.Add(ref a, j) = u;
        }
    }

    private static void CheckLength(Span<ulong> values, NttTables tables)
    {
        if (values.Length != tables.RingDegree)
        {
            throw new ArgumentException($"NTT input has {values.Length} coefficients; the ring has N = {tables.RingDegree}", nameof(values));
        }
    }
}
