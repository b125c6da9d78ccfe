using System.Diagnostics;

namespace FedLlm.Bench;

/// <summary>Wall-clock measurement: warm up, then repeat and keep the median, which is robust to a noisy neighbour.</summary>
public static class Measure
{
    public static double MedianSeconds(Action action, int warmup = 1, int repeats = 5)
    {
        for (int i = 0; i < warmup; i++) action();
        var times = new double[repeats];
        for (int i = 0; i < repeats; i++)
        {
            var clock = Stopwatch.StartNew();
            action();
            times[i] = clock.Elapsed.TotalSeconds;
        }
        Array.Sort(times);
        return times[repeats / 2];
    }

    /// <summary>
    /// Fastest time of each of several actions measured in alternation (one of each per repeat). On a heavily shared
    /// machine the minimum is the least disturbed run, and alternating spreads a neighbour's load over all actions,
    /// so their ratios stay meaningful.
    /// </summary>
    public static double[] InterleavedMinimumSeconds(IReadOnlyList<Action> actions, int warmup = 1, int repeats = 5)
    {
        foreach (var action in actions)
            for (int i = 0; i < warmup; i++) action();
        var times = new double[actions.Count][];
        for (int a = 0; a < actions.Count; a++) times[a] = new double[repeats];
        for (int r = 0; r < repeats; r++)
            for (int a = 0; a < actions.Count; a++)
            {
                var clock = Stopwatch.StartNew();
                actions[a]();
                times[a][r] = clock.Elapsed.TotalSeconds;
            }
        return times.Select(t => t.Min()).ToArray();
    }
}
