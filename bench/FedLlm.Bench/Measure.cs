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
    public static double[] InterleavedMinimumSeconds(IReadOnlyList<Action> actions, int warmup = 1, int repeats = 5) =>
        InterleavedMinimumOfReportedSeconds(actions.Select(action => (Func<double>)(() =>
        {
            var clock = Stopwatch.StartNew();
            action();
            return clock.Elapsed.TotalSeconds;
        })).ToList(), warmup, repeats);

    /// <summary>
    /// As above for actions that time themselves (return their own seconds), e.g. work done in another process that
    /// reports its wall clock around the work only, without the round trip to it.
    /// </summary>
    public static double[] InterleavedMinimumOfReportedSeconds(IReadOnlyList<Func<double>> timedActions, int warmup = 1, int repeats = 5)
    {
        foreach (var action in timedActions)
            for (int i = 0; i < warmup; i++) action();
        var times = new double[timedActions.Count][];
        for (int a = 0; a < timedActions.Count; a++) times[a] = new double[repeats];
        for (int r = 0; r < repeats; r++)
            for (int a = 0; a < timedActions.Count; a++)
                times[a][r] = timedActions[a]();
        return times.Select(t => t.Min()).ToArray();
    }
}
