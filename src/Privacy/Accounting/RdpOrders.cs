namespace FedLlm.Privacy.Accounting;

/// <summary>Grids of Rényi orders α over which ε is minimised.</summary>
public static class RdpOrders
{
    /// <summary>Opacus's default: 1.1, 1.2, …, 10.9 and 12, 13, …, 63 (150 orders). The default grid here.</summary>
    public static IReadOnlyList<double> Opacus { get; } =
        Enumerable.Range(1, 99).Select(x => 1.0 + x / 10.0)
            .Concat(Enumerable.Range(12, 52).Select(x => (double)x))
            .ToArray();

    /// <summary>
    /// TensorFlow Privacy's compute_dp_sgd_privacy grid: 1.25, 1.5, 1.75, 2, 2.25, 2.5, 3, 3.5, 4, 4.5,
    /// then 5, 6, …, 63 and 128, 256, 512 (72 orders). Reaches smaller ε than <see cref="Opacus"/> when the
    /// optimum order is above 63 (large noise, many steps).
    /// </summary>
    public static IReadOnlyList<double> TensorFlowPrivacy { get; } =
        new[] { 1.25, 1.5, 1.75, 2.0, 2.25, 2.5, 3.0, 3.5, 4.0, 4.5 }
            .Concat(Enumerable.Range(5, 59).Select(x => (double)x))
            .Concat(new[] { 128.0, 256.0, 512.0 })
            .ToArray();

    /// <summary>The integer orders first, first + 1, …, last.</summary>
    public static IReadOnlyList<double> Integers(int first, int last)
    {
        if (first < 2) throw new ArgumentOutOfRangeException(nameof(first), first, "Rényi orders must be > 1; the first integer order is 2.");
        if (last < first) throw new ArgumentOutOfRangeException(nameof(last), last, $"The last order must be >= the first ({first}).");
        return Enumerable.Range(first, last - first + 1).Select(x => (double)x).ToArray();
    }

    /// <summary>Throws unless every order is &gt; 1 (or +∞) and the grid is non-empty.</summary>
    public static void Validate(IReadOnlyList<double> orders, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(orders, parameterName);
        if (orders.Count == 0) throw new ArgumentException("The order grid is empty.", parameterName);
        for (int i = 0; i < orders.Count; i++)
        {
            double a = orders[i];
            if (double.IsNaN(a) || a <= 1.0)
                throw new ArgumentException($"Rényi order at index {i} is {a}; every order must be > 1.", parameterName);
        }
    }
}
