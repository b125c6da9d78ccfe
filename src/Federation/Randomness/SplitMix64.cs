namespace FedLlm.Federation.Randomness;

/// <summary>
/// SplitMix64 (Steele, Lea, Flood 2014): a 64-bit counter passed through a bijective mixer.
/// Used to expand seeds for <see cref="Xoshiro256StarStar"/> and to derive independent seeds from (seed, purpose, round).
/// </summary>
public struct SplitMix64
{
    private const ulong GoldenGamma = 0x9E3779B97F4A7C15UL;

    private ulong _state;

    public SplitMix64(ulong seed) => _state = seed;

    public ulong State => _state;

    public ulong Next()
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
}
