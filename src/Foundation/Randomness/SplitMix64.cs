namespace FedLlm.Foundation.Randomness;

/// <summary>
/// SplitMix64 (Steele, Lea, Flood 2014; constants as in java.util.SplittableRandom): a 64-bit counter passed through a
/// bijective mixer. The one small generator of FedLlm: it seeds <see cref="Xoshiro256StarStar"/>, derives seeds
/// (<see cref="SeedDerivation"/>) and drives the demo data, so every output depends only on the seed, never on the
/// .NET version or platform.
/// </summary>
public sealed class SplitMix64(ulong seed)
{
    private const ulong GoldenGamma = 0x9E3779B97F4A7C15UL;

    private ulong _state = seed;

    public ulong NextUInt64()
    {
        _state += GoldenGamma;
        return Mix(_state);
    }

    /// <summary>The SplitMix64 finaliser: a bijection on 64-bit values with good avalanche.</summary>
    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, exclusiveMax); the modulo bias is negligible for the small ranges it is used for (demo data).</summary>
    public int Next(int exclusiveMax) => (int)(NextUInt64() % (ulong)exclusiveMax);

    public T Pick<T>(IReadOnlyList<T> items) => items[Next(items.Count)];

    /// <summary>Fisher–Yates, from the last item down.</summary>
    public void Shuffle<T>(IList<T> items)
    {
        for (int i = items.Count - 1; i > 0; i--)
        {
            int j = Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
