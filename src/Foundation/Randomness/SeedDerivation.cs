using System.Text;

namespace FedLlm.Foundation.Randomness;

/// <summary>
/// Derives independent, reproducible seeds from a run seed plus a purpose label and integers (e.g. round, client),
/// so that every random decision of a run can be regenerated on resume without replaying earlier draws.
/// </summary>
public static class SeedDerivation
{
    /// <summary>Combines the run seed with a purpose label and any number of integer coordinates.</summary>
    public static ulong Derive(ulong runSeed, string purpose, params ReadOnlySpan<long> coordinates)
    {
        ArgumentNullException.ThrowIfNull(purpose);
        ulong h = SplitMix64.Mix(runSeed ^ 0x6A09E667F3BCC909UL);
        h = SplitMix64.Mix(h ^ StableHash(purpose));
        foreach (long c in coordinates)
        {
            h = SplitMix64.Mix((h + 0x9E3779B97F4A7C15UL) ^ (ulong)c);
        }
        return h;
    }

    /// <summary>FNV-1a 64 over UTF-8: unlike string.GetHashCode it is identical in every process.</summary>
    public static ulong StableHash(string text)
    {
        ulong hash = 0xCBF29CE484222325UL;
        foreach (byte b in Encoding.UTF8.GetBytes(text))
        {
            hash ^= b;
            hash *= 0x100000001B3UL;
        }
        return hash;
    }
}
