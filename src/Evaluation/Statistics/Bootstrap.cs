using FedLlm.Foundation.Randomness;

namespace FedLlm.Evaluation.Statistics;

/// <summary>A statistic with its percentile-bootstrap confidence interval (NaN bounds when there are no resamples).</summary>
public sealed record Estimate(double Value, double Lower, double Upper)
{
    public static Estimate Unknown { get; } = new(double.NaN, double.NaN, double.NaN);
}

/// <summary>
/// Percentile bootstrap (Efron &amp; Tibshirani 1993, ch. 13): resample the n examples with replacement B times,
/// recompute the statistic on each resample, and take the (1−c)/2 and (1+c)/2 quantiles of those values (linear
/// interpolation between order statistics). The resamples come from a generator seeded by the suite's seed and the
/// task, so an interval is the same on every run. A statistic that is NaN on a resample (e.g. F1 with no positive
/// example drawn) is left out of the quantiles.
/// </summary>
public static class Bootstrap
{
    /// <param name="statistic">The statistic of a resample, given how often each example was drawn (weights summing to n).</param>
    public static Estimate Interval(int count, Func<int[], double> statistic, int resamples, double confidence, ulong seed, string purpose)
    {
        int[] once = [.. Enumerable.Repeat(1, count)];
        double value = statistic(once);
        if (count == 0 || resamples == 0 || !double.IsFinite(value)) return new Estimate(value, double.NaN, double.NaN);
        var random = Xoshiro256StarStar.ForPurpose(seed, "bootstrap:" + purpose);
        var values = new List<double>(resamples);
        var weights = new int[count];
        for (int b = 0; b < resamples; b++)
        {
            Array.Clear(weights);
            for (int i = 0; i < count; i++) weights[random.NextInt(count)]++;
            double resampled = statistic(weights);
            if (double.IsFinite(resampled)) values.Add(resampled);
        }
        if (values.Count == 0) return new Estimate(value, double.NaN, double.NaN);
        values.Sort();
        return new Estimate(value, Quantile(values, (1 - confidence) / 2), Quantile(values, (1 + confidence) / 2));
    }

    /// <summary>The weighted mean of per-example values (NaN values are left out).</summary>
    public static Func<int[], double> Mean(IReadOnlyList<double> values) => weights =>
    {
        double sum = 0, n = 0;
        for (int i = 0; i < values.Count; i++)
        {
            if (weights[i] == 0 || double.IsNaN(values[i])) continue;
            sum += weights[i] * values[i];
            n += weights[i];
        }
        return n == 0 ? double.NaN : sum / n;
    };

    /// <summary>Σ w·numerator / Σ w·denominator: e.g. total loss over total tokens.</summary>
    public static Func<int[], double> Ratio(IReadOnlyList<double> numerators, IReadOnlyList<double> denominators) => weights =>
    {
        double top = 0, bottom = 0;
        for (int i = 0; i < numerators.Count; i++)
        {
            top += weights[i] * numerators[i];
            bottom += weights[i] * denominators[i];
        }
        return bottom == 0 ? double.NaN : top / bottom;
    };

    /// <summary>Type-7 sample quantile (linear interpolation; R's and NumPy's default) of sorted values.</summary>
    public static double Quantile(IReadOnlyList<double> sorted, double p)
    {
        double position = p * (sorted.Count - 1);
        int below = (int)Math.Floor(position);
        int above = Math.Min(below + 1, sorted.Count - 1);
        return sorted[below] + (position - below) * (sorted[above] - sorted[below]);
    }
}
