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
        float[] global = new float[length];
        var updates = RandomArrays(clients, length).Select((weights, c) => new ClientUpdate(c, 100 + c, weights)).ToList();
        var fedAvg = new FedAvgStrategy(new StrategyOptions { Algorithm = FedAvgStrategy.Kind.Name, TotalClients = clients });
        double checksum = 0;
        // The same bytes, read on every core: the read bandwidth FedAvg could reach.
        var buffers = updates.Select(u => u.Weights).ToArray();
        Action readAll = () => checksum = ReadBandwidth.Sum(buffers);
        // FedAvg returns a new vector; its first write faults every page in (≈1 µs a page in a VM), which no
        // arithmetic can avoid. A new result-sized array filled on all cores measures that share in the same run.
        Action newResult = () =>
        {
            var result = GC.AllocateUninitializedArray<float>(length);
            Parallel.For(0, (length + 65535) / 65536, block => result.AsSpan(block * 65536, Math.Min(65536, length - block * 65536)).Fill(1f));
        };
        double[] seconds = Measure.InterleavedMinimumSeconds([() => fedAvg.Aggregate(0, global, updates, clients), readAll, newResult], warmup: 1, repeats: 5);
        double bytes = (double)clients * length * sizeof(float);
        double fedAvgRate = bytes / seconds[0], bandwidth = bytes / seconds[1];
        string? load = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : null;
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
            ["new_result_vector_seconds"] = Math.Round(seconds[2], 4),
            ["fedavg_share_without_new_result_pages"] = Math.Round(bytes / Math.Max(seconds[0] - seconds[2], 1e-9) / bandwidth, 3),
            ["load_average_1min"] = load,
            ["timing"] = "fastest of 5 interleaved repeats after a warm-up, wall clock",
            ["checksum"] = Math.Round(checksum, 1),
        };
    }

    private static List<float[]> RandomArrays(int count, int length)
    {
        var random = new Random(1);
        return Enumerable.Range(0, count).Select(_ =>
        {
            var values = new float[length];
            for (int j = 0; j < length; j++) values[j] = (float)random.NextDouble();
            return values;
        }).ToList();
    }
}
