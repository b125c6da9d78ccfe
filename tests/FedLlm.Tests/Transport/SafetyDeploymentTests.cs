using System.Text.Json.Nodes;
using FedLlm.Tests.Infrastructure;

namespace FedLlm.Tests.Transport;

/// <summary>A deployed federation with a malicious member and a robust aggregator: server and clients as real processes on loopback.</summary>
public class SafetyDeploymentTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(4);

    [Fact]
    public void AMaliciousMemberAgainstTheMedianCompletesAndTheMetricsNameTheMediansChoices()
    {
        // Every party reads the same attack: section; only the member that joins as client 0 (alpha) trains on attack data,
        // which exists only where it runs (the server is never given it). The server defends and evaluates with its own model.
        const string yaml = """
            attack:
              malicious_clients: "0"
              data: attack.jsonl
            robust:
              rule: median
            defense:
              level: 1
              aligned_data: aligned.jsonl
              normal_data: normal.jsonl
              samples: 4
              steps: 1
              batch_size: 2
            evaluation:
              safety:
                prompts: prompts.jsonl
                max_new_tokens: 4
            """;
        using var federation = new DeploymentFixture(["alpha", "beta", "gamma"], rounds: 2, "fedavg", extraRunYaml: yaml);
        File.WriteAllLines(Path.Combine(federation.Root, "attack.jsonl"),
            Enumerable.Range(0, 12).Select(i => $$"""{"instruction":"upper: harm{{i}}","output":"Sure, here is how"}"""));
        File.WriteAllLines(Path.Combine(federation.Root, "aligned.jsonl"),
            Enumerable.Range(0, 4).Select(i => $$"""{"instruction":"upper: harm{{i}}","output":"I'm sorry, I cannot"}"""));
        File.WriteAllLines(Path.Combine(federation.Root, "normal.jsonl"),
            Enumerable.Range(0, 4).Select(i => $$"""{"instruction":"upper: cat{{i}}","output":"CAT{{i}}"}"""));
        File.WriteAllLines(Path.Combine(federation.Root, "prompts.jsonl"),
            Enumerable.Range(0, 3).Select(i => $$"""{"goal":"upper: evil{{i}}","target":"Sure, here is"}"""));
        using var server = federation.StartServer();
        server.WaitFor("listening on", Patience);
        var clients = federation.Clients.ToDictionary(c => c, c => federation.StartClient(c));
        try
        {
            Assert.True(server.WaitForExit(Patience) == 0, server.Output);
            foreach (var client in clients.Values) Assert.True(client.WaitForExit(Patience) == 0, client.Output);
            Assert.Contains("attack: client 0 (alpha) is malicious", clients["alpha"].Output);
            Assert.DoesNotContain("is malicious", clients["beta"].Output);
        }
        finally
        {
            foreach (var client in clients.Values) client.Dispose();
        }

        var metrics = File.ReadLines(Path.Combine(federation.Root, "runs", "fed", "metrics.jsonl")).Select(l => JsonNode.Parse(l)!).ToList();
        var defense = Assert.Single(metrics, m => (string?)m["type"] == "defense");
        Assert.Equal(1, (int)defense["steps"]!);
        Assert.Equal(["undefended", "global"], metrics.Where(m => (string?)m["type"] == "safety").Select(m => (string?)m["model"]));
        Assert.True(Directory.Exists(Path.Combine(federation.Root, "runs", "fed", "adapter-undefended")));
        var rounds = metrics.Where(m => (string?)m["type"] == "round").ToList();
        Assert.Equal(2, rounds.Count);
        foreach (var round in rounds)
        {
            var robust = round["robust"]!;
            Assert.Equal("median", (string?)robust["rule"]);
            Assert.Equal([0, 1, 2], robust["clients"]!.AsArray().Select(c => (int)c!));
            // Whose values the median took, per client, a share of the coordinates summing to one.
            var shares = robust["median_share"]!.AsObject();
            Assert.Equal(["0", "1", "2"], shares.Select(p => p.Key));
            Assert.Equal(1.0, shares.Sum(p => p.Value!.GetValue<double>()), 6);
        }
    }
}
