using System.Text.Json;
using System.Text.Json.Nodes;
using FedLlm.Bench;
using FedLlm.Bench.Peer;

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
    ["peer"] = PeerBenchmark.Run,
    ["decode"] = DecodeBenchmark.Run,
    [RoundsBenchmark.ChildSuite] = RoundsBenchmark.RunOne,
    [LoraBenchmark.WaitPolicyChild] = LoraBenchmark.RunStep,
};
string name = args.Length > 0 ? args[0] : "runtime";
if (!suites.TryGetValue(name, out var suite))
{
    Console.Error.WriteLine($"unknown benchmark '{name}' (valid: {string.Join(", ", suites.Keys)})");
    return 2;
}
JsonObject result;
try
{
    result = suite(args.Skip(1).ToArray());
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}
Console.WriteLine(result.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
return 0;
