using System.Text.Json.Nodes;
using FedLlm.Federation.Strategies;

namespace FedLlm.Bench;

/// <summary>
/// FedAvg of K updates of L floats (default 8 × 10M, issue 18's figure) against this machine's read bandwidth measured
/// in the same run: a multithreaded vectorised sum over the same bytes. The mean must read K·L·4 bytes at least, so
/// (bytes read ÷ FedAvg seconds) ÷ bandwidth is the fraction of the physical limit it reaches.
/// </summary>
public static class AggregationBenchmark
{
    /// <param name="args">Optional: client count (default 8) and values per client (default 10000000).</param>
    public static JsonObject Run(string[] args)
    {
        int clients = args.Length > 0 ? int.Parse(args[0]) : 8;
        int length = args.Length > 1 ? int.Parse(args[1]) : 10_000_000;
        var random = new Random(1);
        float[] global = new float[length];
        var updates = Enumerable.Range(0, clients).Select(c =>
        {
            var weights = new float[length];
            for (int j = 0; j < length; j++) weights[j] = (float)random.NextDouble();
            return new ClientUpdate(c, 100 + c, weights);
        }).ToList();
        var fedAvg = new FedAvgStrategy(new StrategyOptions { Algorithm = FedAvgStrategy.Kind.Name, TotalClients = clients });
        double checksum = 0;
        var buffers = updates.Select(u => u.Weights).ToArray();
        // The same bytes, read on every core: the read bandwidth FedAvg could reach.
        Action readAll = () => checksum = ReadBandwidth.Sum(buffers);
        double[] seconds = Measure.InterleavedMinimumSeconds([() => fedAvg.Aggregate(0, global, updates, clients), readAll], warmup: 1, repeats: 5);
        double bytes = (double)clients * length * sizeof(float);
        double fedAvgRate = bytes / seconds[0], bandwidth = bytes / seconds[1];
        return new JsonObject
        {
            ["benchmark"] = "aggregation",
            ["processors"] = Environment.ProcessorCount,
            ["clients"] = clients,
            ["values_per_client"] = length,
            ["fedavg_seconds"] = Math.Round(seconds[0], 4),
            ["fedavg_read_gb_per_second"] = Math.Round(fedAvgRate / 1e9, 2),
            ["read_bandwidth_gb_per_second"] = Math.Round(bandwidth / 1e9, 2),
            ["fedavg_share_of_read_bandwidth"] = Math.Round(fedAvgRate / bandwidth, 3),
            ["timing"] = "fastest of 5 interleaved repeats after a warm-up, wall clock",
            ["checksum"] = Math.Round(checksum, 1),
        };
    }
}
