namespace FedLlm.Privacy.Numerics;

/// <summary>Arithmetic on numbers held as their natural logarithms (−∞ represents zero).</summary>
public static class LogSpace
{
    /// <summary>ln(eᵃ + eᵇ).</summary>
    public static double Add(double logA, double logB)
    {
        if (double.IsNegativeInfinity(logA)) return logB;
        if (double.IsNegativeInfinity(logB)) return logA;
        double max = Math.Max(logA, logB);
        if (double.IsPositiveInfinity(max)) return max;
        return max + PreciseMath.Log1P(Math.Exp(-Math.Abs(logA - logB)));
    }

    /// <summary>ln(eᵃ − eᵇ); requires eᵃ ≥ eᵇ.</summary>
    public static double Subtract(double logA, double logB)
    {
        if (double.IsNegativeInfinity(logB)) return logA;
        if (logA == logB) return double.NegativeInfinity;
        if (logA < logB)
            throw new ArithmeticException($"Log-space subtraction would go negative (ln a = {logA}, ln b = {logB}).");
        return logA + Math.Log(-PreciseMath.ExpM1(logB - logA));
    }

    /// <summary>ln Σ exp(values) computed stably (max shifted).</summary>
    public static double Sum(ReadOnlySpan<double> logValues)
    {
        double max = double.NegativeInfinity;
        foreach (double v in logValues) if (v > max) max = v;
        if (double.IsInfinity(max)) return max;
        double sum = 0.0;
        foreach (double v in logValues) sum += Math.Exp(v - max);
        return max + Math.Log(sum);
    }
}
