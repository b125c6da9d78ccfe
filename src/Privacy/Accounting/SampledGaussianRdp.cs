using FedLlm.Privacy.Numerics;

namespace FedLlm.Privacy.Accounting;

/// <summary>
/// Rényi DP of one step of the sampled Gaussian mechanism: Poisson sampling with rate q, L2 sensitivity 1
/// (after clipping), Gaussian noise with standard deviation σ (the noise multiplier).
/// Mironov 2017 ("Rényi differential privacy"); Mironov, Talwar, Zhang 2019 ("Rényi DP of the sampled
/// Gaussian mechanism", Sec. 3.3). RDP(α) = ln(A_α)/(α − 1), computed entirely in log space.
/// </summary>
public static class SampledGaussianRdp
{
    /// <summary>Fractional-order series stop once both terms fall below e^−30 (as Opacus and dp_accounting).</summary>
    private const double SeriesCutoffLog = -30.0;

    /// <summary>Guards against a series that never reaches the cutoff (would indicate a numerical fault).</summary>
    private const int MaxSeriesTerms = 10_000_000;

    /// <summary>RDP of one step at <paramref name="order"/>.</summary>
    /// <remarks>Edge cases: q = 0 → 0 (no record is touched, checked first); σ = 0 → +∞;
    /// σ = +∞ → 0; α = +∞ → +∞; q = 1 → α/(2σ²) exactly (plain Gaussian mechanism).</remarks>
    public static double Compute(double noiseMultiplier, double sampleRate, double order,
        FractionalOrderSummation summation = FractionalOrderSummation.AbsoluteTerms)
    {
        Validate(noiseMultiplier, sampleRate);
        if (double.IsNaN(order) || order <= 1.0)
            throw new ArgumentOutOfRangeException(nameof(order), order, "The Rényi order must be > 1.");

        if (sampleRate == 0.0) return 0.0;
        if (noiseMultiplier == 0.0) return double.PositiveInfinity;
        if (double.IsPositiveInfinity(noiseMultiplier)) return 0.0;
        if (sampleRate == 1.0) return order / (2.0 * noiseMultiplier * noiseMultiplier);
        if (double.IsPositiveInfinity(order)) return double.PositiveInfinity;

        double logA = IsInteger(order)
            ? LogAInteger(sampleRate, noiseMultiplier, (long)order)
            : LogAFractional(sampleRate, noiseMultiplier, order, summation);
        // ln A ≥ 0 mathematically; tiny negative values are rounding noise.
        return Math.Max(0.0, logA / (order - 1.0));
    }

    /// <summary>Throws when σ or q is out of range.</summary>
    public static void Validate(double noiseMultiplier, double sampleRate)
    {
        if (double.IsNaN(noiseMultiplier) || noiseMultiplier < 0.0)
            throw new ArgumentOutOfRangeException(nameof(noiseMultiplier), noiseMultiplier, "The noise multiplier σ must be >= 0.");
        if (double.IsNaN(sampleRate) || sampleRate < 0.0 || sampleRate > 1.0)
            throw new ArgumentOutOfRangeException(nameof(sampleRate), sampleRate, "The sampling rate q must be in [0, 1].");
    }

    private static bool IsInteger(double order) => order == Math.Floor(order) && order < long.MaxValue;

    /// <summary>
    /// Integer α: A = Σ_{i=0..α} C(α,i) q^i (1−q)^(α−i) exp((i² − i)/(2σ²)); every term is positive.
    /// </summary>
    private static double LogAInteger(double q, double sigma, long alpha)
    {
        if (alpha > int.MaxValue - 1)
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "Integer Rényi orders above 2^31 are not supported.");
        double logQ = Math.Log(q);
        double log1MinusQ = PreciseMath.Log1P(-q);
        double twoSigmaSquared = 2.0 * sigma * sigma;
        var terms = new double[alpha + 1];
        double logBinomial = 0.0;
        for (long i = 0; i <= alpha; i++)
        {
            if (i > 0) logBinomial += Math.Log((double)(alpha - i + 1) / i);
            double di = i;
            terms[i] = logBinomial + di * logQ + (alpha - di) * log1MinusQ + (di * di - di) / twoSigmaSquared;
        }
        return LogSpace.Sum(terms);
    }

    /// <summary>
    /// Fractional α: two series with z₀ = σ² ln(1/q − 1) + 1/2 (Mironov, Talwar, Zhang 2019, Sec. 3.3):
    /// A = Σ_i C(α,i) q^i (1−q)^(α−i) e^((i²−i)/(2σ²)) erfc((i − z₀)/(√2σ))/2
    ///   + Σ_i C(α,i) q^(α−i) (1−q)^i e^((j²−j)/(2σ²)) erfc((z₀ − j)/(√2σ))/2, j = α − i.
    /// </summary>
    private static double LogAFractional(double q, double sigma, double alpha, FractionalOrderSummation summation)
    {
        double logQ = Math.Log(q);
        double log1MinusQ = PreciseMath.Log1P(-q);
        double sigmaSquared = sigma * sigma;
        double z0 = sigmaSquared * (Math.Log(1.0 / q - 1.0)) + 0.5;
        double sqrt2Sigma = Math.Sqrt(2.0) * sigma;
        double logHalf = Math.Log(0.5);

        double logSum0 = double.NegativeInfinity;
        double logSum1 = double.NegativeInfinity;
        double logAbsBinomial = 0.0;
        bool binomialPositive = true;
        for (int i = 0; i < MaxSeriesTerms; i++)
        {
            if (i > 0)
            {
                double ratio = (alpha - i + 1) / i;
                logAbsBinomial += Math.Log(Math.Abs(ratio));
                if (ratio < 0) binomialPositive = !binomialPositive;
            }
            double j = alpha - i;
            double logTerm0 = logAbsBinomial + i * logQ + j * log1MinusQ;
            double logTerm1 = logAbsBinomial + j * logQ + i * log1MinusQ;
            double logErfc0 = logHalf + ErrorFunction.LogErfc((i - z0) / sqrt2Sigma);
            double logErfc1 = logHalf + ErrorFunction.LogErfc((z0 - j) / sqrt2Sigma);
            double logSeries0 = logTerm0 + ((double)i * i - i) / (2.0 * sigmaSquared) + logErfc0;
            double logSeries1 = logTerm1 + (j * j - j) / (2.0 * sigmaSquared) + logErfc1;
            if (double.IsNaN(logSeries0) || double.IsNaN(logSeries1))
                throw new ArithmeticException($"RDP series produced NaN (σ={sigma}, q={q}, α={alpha}, term {i}).");

            if (binomialPositive || summation == FractionalOrderSummation.AbsoluteTerms)
            {
                logSum0 = LogSpace.Add(logSum0, logSeries0);
                logSum1 = LogSpace.Add(logSum1, logSeries1);
            }
            else
            {
                logSum0 = SubtractSigned(logSum0, logSeries0, sigma, q, alpha);
                logSum1 = SubtractSigned(logSum1, logSeries1, sigma, q, alpha);
            }
            if (Math.Max(logSeries0, logSeries1) < SeriesCutoffLog) return LogSpace.Add(logSum0, logSum1);
        }
        throw new ArithmeticException($"RDP series did not converge within {MaxSeriesTerms} terms (σ={sigma}, q={q}, α={alpha}).");
    }

    private static double SubtractSigned(double logSum, double logTerm, double sigma, double q, double alpha)
    {
        try
        {
            return LogSpace.Subtract(logSum, logTerm);
        }
        catch (ArithmeticException e)
        {
            throw new ArithmeticException(
                $"Signed RDP series went negative (σ={sigma}, q={q}, α={alpha}); use {nameof(FractionalOrderSummation.AbsoluteTerms)}.", e);
        }
    }
}
