using System.Text.Json;
using System.Text.Json.Nodes;
using FedLlm.Bench;

// Benchmarks print one JSON document to stdout. Each compares against a reference measured in the same run.
var suites = new Dictionary<string, Func<string[], JsonObject>>
{
    ["runtime"] = RuntimeBenchmark.Run,
    ["lora"] = LoraBenchmark.Run,
    ["transport"] = TransportBenchmark.Run,
    ["dpsgd"] = DpSgdBenchmark.Run,
    ["encryption"] = EncryptionBenchmark.Run,
    ["rounds"] = RoundsBenchmark.Run,
    ["robust"] = RobustBenchmark.Run,
    ["aggregation"] = AggregationBenchmark.Run,
    ["generation"] = GenerationBenchmark.Run,
    ["decode"] = DecodeBenchmark.Run,
    [RoundsBenchmark.ChildSuite] = RoundsBenchmark.RunOne,
};
string name = args.Length > 0 ? args[0] : "runtime";
if (!suites.TryGetValue(name, out var suite))
{
    Console.Error.WriteLine($"unknown benchmark '{name}' (valid: {string.Join(", ", suites.Keys)})");
    return 2;
}
var result = suite(args.Skip(1).ToArray());
Console.WriteLine(result.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
return 0;
