namespace FedLlm.Foundation.Randomness;

/// <summary>
/// xoshiro256** 1.0 (Blackman and Vigna 2018), seeded through SplitMix64 as its authors recommend.
/// FedLlm uses it instead of System.Random so that splits, client sampling and any other random decision are
/// identical across .NET versions and operating systems. The integer stream is bit-exact everywhere; the
/// floating-point transforms (Gaussian, Gamma) use only Math.Log/Math.Sqrt/Math.Exp.
/// </summary>
public sealed class Xoshiro256StarStar
{
    private ulong _s0, _s1, _s2, _s3;

    public Xoshiro256StarStar(ulong seed)
    {
        var expander = new SplitMix64(seed);
        _s0 = expander.NextUInt64();
        _s1 = expander.NextUInt64();
        _s2 = expander.NextUInt64();
        _s3 = expander.NextUInt64();
    }

    public Xoshiro256StarStar(RandomState state) => Restore(state);

    /// <summary>A generator for one purpose of a run, e.g. <c>ForPurpose(seed, "client-sampling", round)</c>.</summary>
    public static Xoshiro256StarStar ForPurpose(ulong runSeed, string purpose, params ReadOnlySpan<long> coordinates) =>
        new(SeedDerivation.Derive(runSeed, purpose, coordinates));

    /// <summary>The full generator state; restoring it continues the exact same stream.</summary>
    public RandomState State => new(_s0, _s1, _s2, _s3);

    public void Restore(RandomState state)
    {
        if ((state.S0 | state.S1 | state.S2 | state.S3) == 0)
        {
            throw new ArgumentException("xoshiro256** state must not be all zero (that is its only fixed point).", nameof(state));
        }
        (_s0, _s1, _s2, _s3) = (state.S0, state.S1, state.S2, state.S3);
    }

    public ulong NextUInt64()
    {
        ulong result = RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in (0, 1]: safe to take the logarithm of.</summary>
    public double NextDoubleNonZero() => ((NextUInt64() >> 11) + 1) * (1.0 / (1UL << 53));

    /// <summary>Uniform integer in [0, exclusiveMax) without modulo bias (Lemire 2019, multiply-and-reject).</summary>
    public int NextInt(int exclusiveMax)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(exclusiveMax);
        ulong bound = (ulong)exclusiveMax;
        ulong threshold = (0UL - bound) % bound;
        while (true)
        {
            ulong high = Math.BigMul(NextUInt64(), bound, out ulong low);
            if (low >= threshold)
            {
                return (int)high;
            }
        }
    }

    /// <summary>Standard normal via the Marsaglia polar method (the second variate is discarded to keep the state simple).</summary>
    public double NextGaussian()
    {
        while (true)
        {
            double u = 2.0 * NextDouble() - 1.0;
            double v = 2.0 * NextDouble() - 1.0;
            double s = u * u + v * v;
            if (s > 0.0 && s < 1.0)
            {
                return u * Math.Sqrt(-2.0 * Math.Log(s) / s);
            }
        }
    }

    /// <summary>
    /// log of a Gamma(shape, 1) variate (Marsaglia and Tsang 2000). For shape &lt; 1 the boost
    /// Gamma(a) = Gamma(a + 1)·U^(1/a) is applied in log space, so tiny shapes (α = 0.01) do not underflow to 0.
    /// </summary>
    public double NextLogGamma(double shape)
    {
        if (!(shape > 0.0) || double.IsInfinity(shape))
        {
            throw new ArgumentOutOfRangeException(nameof(shape), shape, "Gamma shape must be a finite number > 0.");
        }
        if (shape < 1.0)
        {
            double boosted = NextLogGamma(shape + 1.0);
            return boosted + Math.Log(NextDoubleNonZero()) / shape;
        }
        double d = shape - 1.0 / 3.0;
        double c = 1.0 / Math.Sqrt(9.0 * d);
        while (true)
        {
            double x = NextGaussian();
            double v = 1.0 + c * x;
            if (v <= 0.0)
            {
                continue;
            }
            v = v * v * v;
            double u = NextDoubleNonZero();
            double x2 = x * x;
            if (u < 1.0 - 0.0331 * x2 * x2 || Math.Log(u) < 0.5 * x2 + d * (1.0 - v + Math.Log(v)))
            {
                return Math.Log(d) + Math.Log(v);
            }
        }
    }

    public double NextGamma(double shape) => Math.Exp(NextLogGamma(shape));

    /// <summary>Fills <paramref name="proportions"/> with a draw from the symmetric Dirichlet(α, …, α).</summary>
    public void NextDirichlet(double alpha, Span<double> proportions)
    {
        if (proportions.IsEmpty)
        {
            throw new ArgumentException("Dirichlet needs at least one component.", nameof(proportions));
        }
        double max = double.NegativeInfinity;
        for (int i = 0; i < proportions.Length; i++)
        {
            proportions[i] = NextLogGamma(alpha);
            max = Math.Max(max, proportions[i]);
        }
        // Normalise in log space (log-sum-exp) so that very small α stays finite.
        double sum = 0.0;
        for (int i = 0; i < proportions.Length; i++)
        {
            proportions[i] = Math.Exp(proportions[i] - max);
            sum += proportions[i];
        }
        for (int i = 0; i < proportions.Length; i++)
        {
            proportions[i] /= sum;
        }
    }

    /// <summary>Fisher-Yates shuffle in place.</summary>
    public void Shuffle<T>(Span<T> items)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    private static ulong RotateLeft(ulong x, int k) => (x << k) | (x >> (64 - k));
}
