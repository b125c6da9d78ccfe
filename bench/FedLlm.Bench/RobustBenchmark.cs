using System.Globalization;
using System.Text.Json.Nodes;
using FedLlm.Federation.Robust;
using FedLlm.Federation.Strategies;
using FedLlm.Foundation.Randomness;

namespace FedLlm.Bench;

/// <summary>
/// Cost of each robust rule's step (<see cref="RobustAggregator.Aggregate"/>, before the strategy) against plain FedAvg
/// (<see cref="FedAvgStrategy"/>.Aggregate) on the same round: K clients × L values. FedAvg runs on one thread; the
/// coordinate-wise rules, Krum's distances and FoolsGold's similarities use every core (deterministic stripes).
/// f is the largest Bulyan allows, ⌊(K − 3)/4⌋ (at least 1 for DnC, which removes ⌊c·f⌋); the trimmed mean uses β = 0.2.
/// Times are the fastest of interleaved repeats (<see cref="Measure.InterleavedMinimumSeconds"/>).
/// </summary>
public static class RobustBenchmark
{
    /// <param name="args">Optional: comma-separated client counts (default 4,10,30) and value counts (default 100000,1000000).</param>
    public static JsonObject Run(string[] args)
    {
        int[] clientCounts = args.Length > 0 ? ParseList(args[0]) : [4, 10, 30];
        int[] lengths = args.Length > 1 ? ParseList(args[1]) : [100_000, 1_000_000];
        var cases = new JsonArray();
        foreach (int length in lengths)
            foreach (int clients in clientCounts)
                cases.Add(Case(clients, length));
        return new JsonObject
        {
            ["benchmark"] = "robust",
            ["processors"] = Environment.ProcessorCount,
            ["timing"] = "fastest of 3 interleaved repeats after 2 warm-ups, wall clock",
            ["cases"] = cases,
        };
    }

    private static JsonObject Case(int clients, int length)
    {
        var random = new Xoshiro256StarStar(SeedDerivation.Derive(1, "robust-bench", clients, length));
        float[] global = [.. Enumerable.Range(0, length).Select(_ => (float)(random.NextGaussian() * 0.02))];
        var updates = Enumerable.Range(0, clients)
            .Select(i => new ClientUpdate(i, 100 + i, [.. global.Select(w => w + (float)(random.NextGaussian() * 1e-3))]))
            .ToList();
        int f = Math.Max(0, (clients - 3) / 4);
        var rules = new (string Name, RobustAggregator Rule)[]
        {
            (RobustRules.Median, new CoordinateMedianAggregator()),
            (RobustRules.TrimmedMean, new TrimmedMeanAggregator(0.2)),
            (RobustRules.Krum, KrumAggregator.Krum(f)),
            (RobustRules.MultiKrum, KrumAggregator.MultiKrum(f)),
            (RobustRules.Bulyan, new BulyanAggregator(f)),
            (RobustRules.NormBound, NormBoundAggregator.RelativeToMedian(1.0)),
            (RobustRules.Dnc, new DivideAndConquerAggregator(Math.Max(1, f), runSeed: 1)),
            (RobustRules.FoolsGold, new FoolsGoldAggregator()),
            (RobustRules.Residual, new ResidualReweightingAggregator()),
        };
        var fedAvg = new FedAvgStrategy(new StrategyOptions { Algorithm = FedAvgStrategy.Kind.Name, TotalClients = clients });
        var actions = new List<Action> { () => fedAvg.Aggregate(0, global, updates, clients) };
        actions.AddRange(rules.Select(r => (Action)(() => r.Rule.Aggregate(0, global, updates))));
        double[] seconds = Measure.InterleavedMinimumSeconds(actions, warmup: 2, repeats: 3);
        var byRule = new JsonObject();
        for (int i = 0; i < rules.Length; i++)
        {
            byRule[rules[i].Name] = new JsonObject
            {
                ["seconds"] = Math.Round(seconds[i + 1], 5),
                ["ratio_to_fedavg"] = Math.Round(seconds[i + 1] / seconds[0], 2),
            };
        }
        return new JsonObject
        {
            ["clients"] = clients,
            ["values"] = length,
            ["f"] = f,
            ["fedavg_seconds"] = Math.Round(seconds[0], 5),
            ["rules"] = byRule,
        };
    }

    private static int[] ParseList(string text) =>
        [.. text.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(s => int.Parse(s, CultureInfo.InvariantCulture))];
}
