namespace FedLlm.Federation.Encryption;

/// <summary>
/// Integer FedAvg weights for the encrypted sum. The noise budget admits weights up to W_max, so sample counts are
/// quantised by one granularity g = ⌈max n_i / W_max⌉ per round: w_i = max(1, round(n_i / g)). When every count is
/// ≤ W_max, g = 1 and the weights are the exact sample counts (the encrypted mean is then exactly FedAvg's).
/// </summary>
public static class SampleCountWeights
{
    public static long[] For(IReadOnlyList<long> sampleCounts, long maxWeight)
    {
        ArgumentNullException.ThrowIfNull(sampleCounts);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxWeight, 1);
        if (sampleCounts.Count == 0) return [];
        long largest = sampleCounts.Max();
        if (sampleCounts.Any(n => n < 1)) throw new ArgumentException("every sample count must be ≥ 1 to weight an encrypted update", nameof(sampleCounts));
        long granularity = (largest + maxWeight - 1) / maxWeight;
        return [.. sampleCounts.Select(n => Math.Clamp((long)Math.Round(n / (double)granularity, MidpointRounding.AwayFromZero), 1, maxWeight))];
    }
}
