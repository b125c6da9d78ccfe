using System.Globalization;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace FedLlm.Federation.Strategies;

/// <summary>
/// Server-side admission check for one client update before aggregation. <see cref="Validate"/> returns null when the
/// update is acceptable, otherwise a reason the engine can log and report (the update is then dropped from the round).
/// </summary>
public sealed class UpdateValidator
{
    public UpdateValidator(int parameterCount, double? maxDeltaNorm = null, IReadOnlyList<string>? requiredExtras = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(parameterCount);
        if (maxDeltaNorm is double bound && !(bound > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(maxDeltaNorm), bound, "Norm bound must be > 0.");
        }
        ParameterCount = parameterCount;
        MaxDeltaNorm = maxDeltaNorm;
        RequiredExtras = requiredExtras ?? [];
    }

    /// <summary>A validator that also demands the extras <paramref name="strategy"/> needs.</summary>
    public static UpdateValidator For(ServerStrategy strategy, int parameterCount, double? maxDeltaNorm = null)
    {
        ArgumentNullException.ThrowIfNull(strategy);
        return new UpdateValidator(parameterCount, maxDeltaNorm, strategy.RequiredUpdateExtras);
    }

    public int ParameterCount { get; }

    /// <summary>Optional bound on ‖w_i − w_global‖₂.</summary>
    public double? MaxDeltaNorm { get; }

    public IReadOnlyList<string> RequiredExtras { get; }

    public string? Validate(ClientUpdate update, ReadOnlySpan<float> global)
    {
        ArgumentNullException.ThrowIfNull(update);
        string who = $"client {update.ClientId}";
        if (update.Weights.Length != ParameterCount)
        {
            return $"{who}: {update.Weights.Length} parameters, expected {ParameterCount}";
        }
        if (update.SampleCount < 0)
        {
            return $"{who}: negative sample count {update.SampleCount}";
        }
        if (FirstNonFinite(update.Weights) is int bad)
        {
            return $"{who}: weight {bad} is {update.Weights[bad].ToString(CultureInfo.InvariantCulture)}";
        }
        foreach (string key in RequiredExtras)
        {
            if (!update.Extras.ContainsKey(key))
            {
                return $"{who}: missing '{key}'";
            }
        }
        foreach ((string key, float[] extra) in update.Extras)
        {
            if (extra.Length != ParameterCount)
            {
                return $"{who}: '{key}' has {extra.Length} values, expected {ParameterCount}";
            }
            if (FirstNonFinite(extra) is int badExtra)
            {
                return $"{who}: '{key}'[{badExtra}] is {extra[badExtra].ToString(CultureInfo.InvariantCulture)}";
            }
        }
        if (MaxDeltaNorm is double bound)
        {
            if (global.Length != ParameterCount)
            {
                throw new ArgumentException($"Global vector has {global.Length} values, expected {ParameterCount}.", nameof(global));
            }
            double norm = AggregationMath.Distance(global, update.Weights);
            if (norm > bound)
            {
                return $"{who}: update norm {norm.ToString("G6", CultureInfo.InvariantCulture)} exceeds the bound {bound.ToString("G6", CultureInfo.InvariantCulture)}";
            }
        }
        return null;
    }

    /// <summary>The index of the first NaN or infinity: x − x is 0 exactly when x is finite, eight values at a time.</summary>
    private static int? FirstNonFinite(ReadOnlySpan<float> values)
    {
        int start = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref float first = ref MemoryMarshal.GetReference(values);
            for (; start <= values.Length - Vector256<float>.Count; start += Vector256<float>.Count)
            {
                var block = Vector256.LoadUnsafe(ref first, (nuint)start);
                if (!Vector256.EqualsAll(block - block, Vector256<float>.Zero)) break;
            }
        }
        for (int j = start; j < values.Length; j++)
        {
            if (!float.IsFinite(values[j]))
            {
                return j;
            }
        }
        return null;
    }
}
