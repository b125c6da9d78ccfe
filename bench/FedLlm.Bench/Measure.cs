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
}
