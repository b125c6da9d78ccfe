using System.Globalization;
using FedLlm.Data.Demo;
using FedLlm.Data.Model;
using FedLlm.Foundation.Randomness;

namespace FedLlm.Federation.Demo;

/// <summary>
/// Demo records owned by many users with FedLLM-Bench-like skew (Fed-ChatbotPA: 747 clients, 13 ± 21 records each):
/// every client gets one record, the rest go to client ⌊N·u³⌋ for uniform u, so a few clients hold most records.
/// For benchmarks and tests of large natural splits (<c>split.field: client</c>).
/// </summary>
public static class SyntheticFederation
{
    /// <summary>Fed-ChatbotPA's mean records per client (9,508 / 747).</summary>
    public const double BenchRecordsPerClient = 9_508.0 / 747;

    public static IReadOnlyList<InstructionExample> SkewedRecords(int clients, int records, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(clients);
        if (records < clients) throw new ArgumentOutOfRangeException(nameof(records), records, $"need at least one record per client ({clients})");
        var rng = new Xoshiro256StarStar(seed);
        var owner = Enumerable.Range(0, clients).ToList();
        for (int extra = clients; extra < records; extra++) owner.Add((int)(clients * Math.Pow(rng.NextDouble(), 3)));
        return [.. DemoTasks.Generate(records, seed).Select((e, i) =>
            e with { Metadata = e.Metadata with { ClientId = string.Create(CultureInfo.InvariantCulture, $"user-{owner[i]:D4}") } })];
    }
}
