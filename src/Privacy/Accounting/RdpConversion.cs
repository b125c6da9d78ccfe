using FedLlm.Privacy.Numerics;

namespace FedLlm.Privacy.Accounting;

/// <summary>Converts an RDP curve (total RDP per order) into the smallest certified ε for a given δ.</summary>
public static class RdpConversion
{
    /// <summary>Below this order the Balle et al. bound is numerically unstable and not useful (dp_accounting skips it too).</summary>
    public const double MinimumBalleOrder = 1.01;

    /// <summary>
    /// ε = min over α of the chosen bound, clamped at 0; <paramref name="bestOrder"/> is the minimising α
    /// (NaN when no order certifies a finite ε).
    /// </summary>
    /// <remarks>
    /// Balle2020 follows dp_accounting's safeguards: an order whose RDP r satisfies δ² + expm1(−r) &gt; 0 gives
    /// ε = 0 (the KL bound δ ≤ √(1 − e^−r) already certifies it), orders ≤ 1.01 are skipped, ε is clamped ≥ 0.
    /// α = +∞ gives ε = RDP(∞) (the limit of both bounds). δ = 0 gives ε = 0 only when the RDP is 0 at some order.
    /// </remarks>
    public static double Epsilon(IReadOnlyList<double> orders, IReadOnlyList<double> rdp, double delta,
        EpsilonConversion conversion, out double bestOrder)
    {
        RdpOrders.Validate(orders, nameof(orders));
        ArgumentNullException.ThrowIfNull(rdp);
        if (orders.Count != rdp.Count)
            throw new ArgumentException($"There are {orders.Count} orders but {rdp.Count} RDP values.", nameof(rdp));
        if (double.IsNaN(delta) || delta < 0.0 || delta > 1.0)
            throw new ArgumentOutOfRangeException(nameof(delta), delta, "δ must be in [0, 1].");

        double best = double.PositiveInfinity;
        bestOrder = double.NaN;
        for (int k = 0; k < orders.Count; k++)
        {
            double alpha = orders[k];
            double r = rdp[k];
            if (double.IsNaN(r) || r < 0.0)
                throw new ArgumentException($"RDP at order {alpha} (index {k}) is {r}; it must be >= 0.", nameof(rdp));
            double epsilon = conversion switch
            {
                EpsilonConversion.Balle2020 => BalleBound(alpha, r, delta),
                EpsilonConversion.Classic => ClassicBound(alpha, r, delta),
                _ => throw new ArgumentOutOfRangeException(nameof(conversion), conversion, "Unknown conversion."),
            };
            if (epsilon < best)
            {
                best = epsilon;
                bestOrder = alpha;
            }
        }
        return Math.Max(0.0, best);
    }

    private static double BalleBound(double alpha, double r, double delta)
    {
        if (delta == 0.0) return r == 0.0 ? 0.0 : double.PositiveInfinity;
        if (delta * delta + PreciseMath.ExpM1(-r) > 0.0) return 0.0;
        if (double.IsPositiveInfinity(alpha)) return r;
        if (alpha <= MinimumBalleOrder) return double.PositiveInfinity;
        return r + PreciseMath.Log1P(-1.0 / alpha) - Math.Log(delta * alpha) / (alpha - 1.0);
    }

    private static double ClassicBound(double alpha, double r, double delta)
    {
        if (delta == 0.0) return r == 0.0 ? 0.0 : double.PositiveInfinity;
        if (double.IsPositiveInfinity(alpha)) return r;
        return r - Math.Log(delta) / (alpha - 1.0);
    }
}
