namespace FedLlm.Privacy.Mechanisms;

/// <summary>A source of uniformly distributed 64-bit words. Implementations are not thread-safe.</summary>
public interface IRandomSource
{
    /// <summary>The next uniformly distributed 64-bit word.</summary>
    ulong NextUInt64();
}

/// <summary>Derived uniform draws.</summary>
public static class RandomSourceExtensions
{
    private const double TwoToMinus53 = 1.0 / (1UL << 53);

    /// <summary>Uniform double in [0, 1) with 53 random bits.</summary>
    public static double NextUnitInterval(this IRandomSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        return (source.NextUInt64() >> 11) * TwoToMinus53;
    }
}
