using FedLlm.Foundation.Randomness;

namespace FedLlm.Federation.Strategies;

/// <summary>
/// Per-round client sampling without replacement, reproducible from (run seed, round) alone, so a resumed run
/// samples the same clients as an uninterrupted one. The result is sorted, like OFL's <c>sorted(random.sample(...))</c>.
/// </summary>
public static class ClientSampler
{
    public const string RandomPurpose = "client-sampling";

    /// <summary>K for a round: the count, else max(1, ⌊fraction·available⌋) (Flower's rule), else everyone; capped at the available count.</summary>
    public static int SampleSize(int availableCount, int? clientsPerRound, double? clientFraction)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(availableCount);
        int wanted = clientsPerRound ?? (clientFraction is double f ? Math.Max(1, (int)Math.Floor(f * availableCount)) : availableCount);
        return Math.Min(wanted, availableCount);
    }

    public static IReadOnlyList<int> Sample(int round, IReadOnlyList<int> availableClientIds, int count, ulong runSeed)
    {
        ArgumentNullException.ThrowIfNull(availableClientIds);
        ArgumentOutOfRangeException.ThrowIfNegative(round);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        int[] pool = [.. availableClientIds];
        // Sorting first makes the draw independent of the order in which the transport lists clients.
        Array.Sort(pool);
        for (int i = 1; i < pool.Length; i++)
        {
            if (pool[i] == pool[i - 1])
            {
                throw new ArgumentException($"Client id {pool[i]} is listed twice among the available clients.", nameof(availableClientIds));
            }
        }
        if (count >= pool.Length)
        {
            return pool;
        }
        var rng = Xoshiro256StarStar.ForPurpose(runSeed, RandomPurpose, round);
        // Partial Fisher-Yates: the first `count` slots become a uniform sample without replacement.
        for (int i = 0; i < count; i++)
        {
            int j = i + rng.NextInt(pool.Length - i);
            (pool[i], pool[j]) = (pool[j], pool[i]);
        }
        int[] chosen = pool[..count];
        Array.Sort(chosen);
        return chosen;
    }
}
