namespace FedLlm.Privacy.Numerics;

/// <summary>
/// exp(x) − 1 and ln(1 + x) without cancellation near zero. (double.ExpM1/LogP1 in .NET compute
/// Exp(x) − 1 and Log(x + 1) literally, which loses digits for small x.)
/// </summary>
public static class PreciseMath
{
    /// <summary>exp(x) − 1, accurate to a few ulp (Kahan's correction trick).</summary>
    public static double ExpM1(double x)
    {
        double u = Math.Exp(x);
        if (u == 1.0) return x;
        double um1 = u - 1.0;
        if (um1 == -1.0) return -1.0;
        if (double.IsPositiveInfinity(u)) return u;
        return um1 * x / Math.Log(u);
    }

    /// <summary>ln(1 + x), accurate to a few ulp (Kahan's correction trick).</summary>
    public static double Log1P(double x)
    {
        double u = 1.0 + x;
        if (u == 1.0) return x;
        if (double.IsPositiveInfinity(u)) return u;
        return Math.Log(u) * x / (u - 1.0);
    }
}
