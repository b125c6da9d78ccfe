namespace FedLlm.Privacy.Accounting;

/// <summary>Relates the noise multiplier σ and the final ε of <c>steps</c> identical sampled Gaussian steps.</summary>
public static class NoiseCalibration
{
    /// <summary>Default ε tolerance of <see cref="NoiseForEpsilon"/>: the returned σ gives ε in [target − 1e-4, target].</summary>
    public const double DefaultEpsilonTolerance = 1e-4;

    private const double MaxNoiseMultiplier = 1e6;
    private const int MaxBisections = 200;

    /// <summary>ε after <paramref name="steps"/> steps with noise σ and sampling rate q.</summary>
    public static double EpsilonForNoise(double noiseMultiplier, double delta, double sampleRate, long steps,
        RdpAccountingOptions? options = null)
    {
        var accountant = new RdpAccountant(options);
        accountant.Record(noiseMultiplier, sampleRate, steps);
        return accountant.GetEpsilon(delta);
    }

    /// <summary>
    /// Smallest σ (up to the tolerance) whose ε does not exceed <paramref name="targetEpsilon"/>:
    /// the result satisfies target − tolerance ≤ ε(σ) ≤ target. ε is non-increasing in σ, so the search doubles σ
    /// until ε ≤ target, then bisects, always keeping the upper (safe) end of the bracket.
    /// </summary>
    /// <exception cref="ArgumentException">No σ ≤ 1e6 reaches the target: the largest order of the grid bounds the
    /// smallest certifiable ε (ε ≈ 0.1 at δ = 1e-5 with orders ≤ 63).</exception>
    public static double NoiseForEpsilon(double targetEpsilon, double delta, double sampleRate, long steps,
        RdpAccountingOptions? options = null, double epsilonTolerance = DefaultEpsilonTolerance)
    {
        options ??= RdpAccountingOptions.Default;
        if (double.IsNaN(targetEpsilon) || targetEpsilon <= 0.0)
            throw new ArgumentOutOfRangeException(nameof(targetEpsilon), targetEpsilon, "The target ε must be > 0.");
        if (double.IsNaN(epsilonTolerance) || epsilonTolerance <= 0.0)
            throw new ArgumentOutOfRangeException(nameof(epsilonTolerance), epsilonTolerance, "The ε tolerance must be > 0.");
        if (steps < 0) throw new ArgumentOutOfRangeException(nameof(steps), steps, "The number of steps must be >= 0.");
        SampledGaussianRdp.Validate(1.0, sampleRate);
        if (sampleRate == 0.0 || steps == 0) return 0.0; // nothing is released about any record

        double low = 0.0;
        double high = 1.0;
        double epsilonHigh = EpsilonForNoise(high, delta, sampleRate, steps, options);
        while (epsilonHigh > targetEpsilon)
        {
            low = high;
            high *= 2.0;
            if (high > MaxNoiseMultiplier)
                throw new ArgumentException(
                    $"No noise multiplier up to {MaxNoiseMultiplier} reaches ε={targetEpsilon} at δ={delta}: the order grid's largest " +
                    "order limits the smallest certifiable ε (≈0.1 at δ=1e-5 with orders ≤ 63); add larger orders " +
                    "(e.g. RdpOrders.TensorFlowPrivacy) or raise the target.", nameof(targetEpsilon));
            epsilonHigh = EpsilonForNoise(high, delta, sampleRate, steps, options);
        }

        for (int i = 0; i < MaxBisections && targetEpsilon - epsilonHigh > epsilonTolerance; i++)
        {
            double mid = 0.5 * (low + high);
            if (mid <= low || mid >= high) break; // bracket exhausted in double precision
            double epsilonMid = EpsilonForNoise(mid, delta, sampleRate, steps, options);
            if (epsilonMid <= targetEpsilon)
            {
                high = mid;
                epsilonHigh = epsilonMid;
            }
            else
            {
                low = mid;
            }
        }
        return high;
    }
}
