namespace FedLlm.Federation.Strategies;

/// <summary>Shared server arithmetic. Sums accumulate in double: with hundreds of clients float sums drift.</summary>
internal static class AggregationMath
{
    /// <summary>
    /// Σ s_i·w_i / Σ s_i with s_i = n_i (weighted) or 1, accumulated in double. Multiplying by the integer n_i
    /// (rather than by n_i/n_S) keeps each product exact, so averaging identical vectors returns them bit for bit.
    /// </summary>
    public static double[] Mean(IReadOnlyList<ClientUpdate> updates, int length, bool weightedBySampleCount)
    {
        if (weightedBySampleCount && updates.All(u => u.SampleCount == 0))
        {
            throw new ArgumentException("Every client reported 0 samples, so the sample-weighted average is undefined.", nameof(updates));
        }
        var sum = new double[length];
        double totalWeight = 0;
        foreach (ClientUpdate update in updates)
        {
            double scale = weightedBySampleCount ? update.SampleCount : 1.0;
            totalWeight += scale;
            ReadOnlySpan<float> w = update.Weights;
            for (int j = 0; j < length; j++)
            {
                sum[j] += scale * w[j];
            }
        }
        for (int j = 0; j < length; j++)
        {
            sum[j] /= totalWeight;
        }
        return sum;
    }

    public static float[] ToSingle(ReadOnlySpan<double> values)
    {
        var result = new float[values.Length];
        for (int j = 0; j < values.Length; j++)
        {
            result[j] = (float)values[j];
        }
        return result;
    }

    /// <summary>The pseudo-gradient Δ = mean(w_i) − w, in double.</summary>
    public static double[] MeanDelta(IReadOnlyList<ClientUpdate> updates, ReadOnlySpan<float> global, bool weightedBySampleCount)
    {
        double[] delta = Mean(updates, global.Length, weightedBySampleCount);
        for (int j = 0; j < delta.Length; j++)
        {
            delta[j] -= global[j];
        }
        return delta;
    }

    /// <summary>‖b − a‖₂, accumulated in double; the vectors must have the same length.</summary>
    public static double Distance(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length) throw new ArgumentException($"vectors of {a.Length} and {b.Length} values have no distance");
        double sum = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double d = (double)b[i] - a[i];
            sum += d * d;
        }
        return Math.Sqrt(sum);
    }
}
