using System.Text.Json.Nodes;
using FedLlm.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace FedLlm.Tests.Transport;

/// <summary>Real server and client processes talking gRPC over TLS on loopback.</summary>
public class FederationDeploymentTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(4);

    /// <summary>One config, two transports: each case runs `server` + 3 `client` processes on loopback and `simulate`.</summary>
    public static TheoryData<string> ParityRuns => ["fedavg", "scaffold", "fedadam", "dpo", "dp-fedavg", "dp-sgd", "encrypted-fedadam"];

    /// <summary>The test-only setting that lets a deployment seed its DP noise, so it can be compared with its simulation bit for bit.</summary>
    private static readonly Dictionary<string, string> ReproducibleNoise = new() { ["FEDLLM_TEST_REPRODUCIBLE_NOISE"] = "1" };

    [Theory]
    [MemberData(nameof(ParityRuns))]
    public void TheSameConfigDeployedEndsWithTheSimulationsAdapterBitForBit(string run)
    {
        var (algorithm, yaml, preferences, environment) = run switch
        {
            // Evaluation every round: the clients score the global on their own held-out data, as the simulation does.
            "fedavg" => ("fedavg", "evaluation:\n  every: 1\n  max_accuracy_examples: 2", false, null),
            "dpo" => ("fedprox", "method: dpo", true, null),
            "dp-fedavg" => ("fedavg", "privacy:\n  mode: client_dp\n  noise_multiplier: 0.5\n  clip_norm: 0.5\n  reproducible_noise: true", false, ReproducibleNoise),
            "dp-sgd" => ("fedavg", "privacy:\n  mode: dp_sgd\n  noise_multiplier: 1.0\n  clip_norm: 1.0\n  reproducible_noise: true", false, ReproducibleNoise),
            "encrypted-fedadam" => ("fedadam", "encryption:\n  enabled: true\n  max_clients: 4", false, null),
            _ => (run, "", false, (Dictionary<string, string>?)null),
        };
        using var federation = new DeploymentFixture(["alpha", "beta", "gamma"], rounds: 2, algorithm, extraRunYaml: yaml, preferences: preferences, environment: environment);
        // Encrypted: the key holder seals the key only to members' keys pinned out of band.
        string[] pins = run.StartsWith("encrypted", StringComparison.Ordinal) ? federation.PinMemberKeys().Flags : [];
        using var server = federation.StartServer();
        server.WaitFor("listening on", Patience);
        var clients = federation.Clients.Select(c => federation.StartClient(c, pins)).ToList();
        try
        {
            Assert.True(server.WaitForExit(Patience) == 0, server.Output);
            foreach (var client in clients)
            {
                Assert.True(client.WaitForExit(Patience) == 0, client.Output);
                Assert.Contains("trained 2 round(s)", client.Output);
            }
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }

        var simulation = federation.Simulate("sim");
        Assert.True(simulation.ExitCode == 0, simulation.Stderr);
        byte[] simulated = File.ReadAllBytes(federation.FinalAdapter("sim"));
        if (run.StartsWith("encrypted", StringComparison.Ordinal))
        {
            // Only the members hold the trained adapter; every one of them ran FedAdam's step on the decrypted mean.
            Assert.False(File.Exists(federation.FinalAdapter("fed")), "the server wrote a trained adapter it should never see");
            foreach (string name in federation.Clients)
                Assert.Equal(simulated, File.ReadAllBytes(Path.Combine(federation.StateDirectory(name), "final_adapter", "adapter_model.safetensors")));
        }
        else
        {
            Assert.Equal(simulated, File.ReadAllBytes(federation.FinalAdapter("fed")));
        }

        var deployed = Metrics(federation, "fed");
        var simulatedMetrics = Metrics(federation, "sim");
        Assert.Equal(2, deployed.Count(m => (string?)m["type"] == "round"));
        switch (run)
        {
            case "fedavg":
                // The clients' own evaluations land in the same lines the simulation writes, with the same numbers.
                var deployedEvaluations = deployed.Where(m => (string?)m["type"] == "evaluation").Select(Scores).ToList();
                Assert.Equal(2, deployedEvaluations.Count);
                Assert.Equal(simulatedMetrics.Where(m => (string?)m["type"] == "evaluation").Select(Scores), deployedEvaluations);
                break;
            case "dp-sgd":
                // Each client's ε (from the accountant it keeps) and the run's ε, in the metrics and in the report.
                foreach (var round in deployed.Where(m => (string?)m["type"] == "round"))
                {
                    var perClient = round["client_privacy"]!.AsObject();
                    Assert.Equal(3, perClient.Count);
                    Assert.All(perClient, c => Assert.True(c.Value!["epsilon"]!.GetValue<double>() > 0));
                    Assert.Equal(perClient.Max(c => c.Value!["epsilon"]!.GetValue<double>()), round["epsilon"]!.GetValue<double>());
                }
                Assert.Contains(deployed, m => (string?)m["type"] == "privacy");
                string report = File.ReadAllText(Path.Combine(federation.Root, "runs", "fed", "report.md"));
                Assert.Contains("## Privacy", report);
                Assert.Contains("ε does NOT hold", report); // the reproducible-noise test setting says so in the report's first lines
                break;
            case "dpo":
                Assert.All(deployed.Where(m => (string?)m["type"] == "round"), r => Assert.Equal(3, r["train_loss"]!.AsObject().Count));
                break;
            case "scaffold":
                // The server's lasting state: every finished round, every member joined.
                using (var database = new SqliteConnection($"Data Source={Path.Combine(federation.Root, "runs", "fed", "state.db")}"))
                {
                    database.Open();
                    using var command = database.CreateCommand();
                    command.CommandText = "SELECT (SELECT COUNT(*) FROM rounds), (SELECT COUNT(*) FROM clients), (SELECT SUM(wire_bytes_up) FROM rounds)";
                    using var reader = command.ExecuteReader();
                    Assert.True(reader.Read());
                    Assert.Equal(2, reader.GetInt32(0));
                    Assert.Equal(3, reader.GetInt32(1));
                    Assert.True(reader.GetInt64(2) > 0);
                }
                // The same file also trains one client's data alone on this machine (its local-only baseline).
                var alone = federation.Train("alpha", "alpha-alone");
                Assert.True(alone.ExitCode == 0, alone.Stderr);
                Assert.True(File.Exists(Path.Combine(federation.Root, "runs", "alpha-alone", "adapter", "adapter_model.safetensors")));
                break;
        }
        // The server's report shows the federation that joined (names, record counts), not the server's own data keys.
        string serverReport = File.ReadAllText(Path.Combine(federation.Root, "runs", "fed", "report.md"));
        Assert.Contains("## Federation (members that joined)", serverReport);
        Assert.Contains("| 1 | beta |", serverReport);
        Assert.DoesNotContain("data-all.jsonl", serverReport);
    }

    private static List<JsonNode> Metrics(DeploymentFixture federation, string run) =>
        [.. File.ReadLines(Path.Combine(federation.Root, "runs", run, "metrics.jsonl")).Select(l => JsonNode.Parse(l)!)];

    private static string Scores(JsonNode evaluation) => evaluation["clients"]!.ToJsonString() + evaluation["round"];

    [Fact]
    public void ARunSurvivesAClientKilledMidRoundAndAServerRestart()
    {
        using var federation = new DeploymentFixture(["alpha", "beta", "gamma"], rounds: 6, algorithm: "fedavg", deadlineSeconds: 12);
        // gamma is frozen before it can join, so it misses round 1 deterministically; then it is restarted.
        var (server, clients) = federation.StartWithFrozenMember("gamma");
        try
        {
            server.WaitFor("round 1/6", Patience);
            federation.Restart(clients, "gamma");
            server.WaitFor("round 3/6", Patience);
            server.Kill();
            server.Dispose();
            server = federation.StartServer();
            int exit = DeploymentFixture.ServerExitCode(server, clients, Patience);
            Assert.True(exit == 0, server.Output);
            foreach (var (name, client) in clients)
                Assert.True(client.WaitForExit(Patience) == 0, $"{name}: {client.Output}");
        }
        finally
        {
            server.Dispose();
            foreach (var client in clients.Values) client.Dispose();
        }

        string runFolder = Path.Combine(federation.Root, "runs", "fed");
        Assert.True(File.Exists(federation.FinalAdapter("fed")));
        var rounds = File.ReadLines(Path.Combine(runFolder, "metrics.jsonl")).Select(l => JsonNode.Parse(l)!)
            .Where(m => (string?)m["type"] == "round").ToList();
        Assert.Equal([0, 1, 2, 3, 4, 5], rounds.Select(r => r["round"]!.GetValue<int>()));
        var roundOneRejections = rounds[0]["rejected"]!.AsArray();
        Assert.Contains(roundOneRejections, r => r!["client"]!.GetValue<int>() == 2 && DeploymentFixture.WentOnWithout(r["reason"]!.GetValue<string>()));
        Assert.All(rounds.Skip(3), r => Assert.True(r["train_loss"]!.AsObject().Count >= 2, r.ToJsonString()));

        using var database = new SqliteConnection($"Data Source={Path.Combine(runFolder, "state.db")}");
        database.Open();
        using var command = database.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM events WHERE kind = 'resumed'";
        Assert.Equal(1L, (long)command.ExecuteScalar()!);
    }
}
