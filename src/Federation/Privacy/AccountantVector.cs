using System.Runtime.InteropServices;
using FedLlm.Privacy.Accounting;

namespace FedLlm.Federation.Privacy;

/// <summary>
/// Stores an <see cref="RdpAccountant"/> in a <see cref="Client.ClientStateStore"/> (which holds fp32 vectors): the state's
/// doubles are reinterpreted bit for bit as pairs of floats, so nothing is rounded and resuming continues exactly.
/// Layout (doubles): version, summation, conversion, order count K, K orders, K totals, history count H, H × (σ, q, steps).
/// </summary>
public static class AccountantVector
{
    private const double Version = 1;

    public static float[] Encode(RdpAccountant accountant)
    {
        ArgumentNullException.ThrowIfNull(accountant);
        var state = accountant.ExportState();
        var values = new List<double> { Version, (double)state.Summation, (double)state.Conversion, state.Orders.Length };
        values.AddRange(state.Orders);
        values.AddRange(state.TotalRdp);
        values.Add(state.History.Length);
        foreach (var record in state.History)
        {
            values.Add(record.NoiseMultiplier);
            values.Add(record.SampleRate);
            values.Add(record.Steps);
        }
        return MemoryMarshal.Cast<double, float>(values.ToArray().AsSpan()).ToArray();
    }

    /// <param name="source">Where the vector came from, for error messages.</param>
    public static RdpAccountant Decode(float[] vector, string source)
    {
        ArgumentNullException.ThrowIfNull(vector);
        if (vector.Length % 2 != 0) throw new InvalidDataException($"{source}: accountant vector has an odd number of floats ({vector.Length})");
        var values = MemoryMarshal.Cast<float, double>(vector.AsSpan()).ToArray();
        int position = 0;
        double Next() => position < values.Length
            ? values[position++]
            : throw new InvalidDataException($"{source}: accountant vector is truncated at value {position}");
        if (Next() != Version) throw new InvalidDataException($"{source}: unknown accountant vector version {values[0]}");
        var summation = (FractionalOrderSummation)(int)Next();
        var conversion = (EpsilonConversion)(int)Next();
        int orderCount = CheckedCount(Next(), source, "order");
        var orders = Enumerable.Range(0, orderCount).Select(_ => Next()).ToArray();
        var totals = Enumerable.Range(0, orderCount).Select(_ => Next()).ToArray();
        int historyCount = CheckedCount(Next(), source, "history");
        var history = Enumerable.Range(0, historyCount).Select(_ => new RdpStepRecord(Next(), Next(), (long)Next())).ToArray();
        if (position != values.Length) throw new InvalidDataException($"{source}: accountant vector has {values.Length - position} trailing values");
        try
        {
            return RdpAccountant.FromState(new RdpAccountantState(orders, totals, history, summation, conversion));
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{source}: {e.Message}", e);
        }
    }

    private static int CheckedCount(double value, string source, string what) =>
        value >= 0 && value <= 1 << 20 && value == Math.Floor(value)
            ? (int)value
            : throw new InvalidDataException($"{source}: accountant vector has an invalid {what} count {value}");
}
