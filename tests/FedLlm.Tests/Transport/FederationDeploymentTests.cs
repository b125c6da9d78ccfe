using System.Text.Json.Nodes;
using FedLlm.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace FedLlm.Tests.Transport;

/// <summary>Real server and client processes talking gRPC over TLS on loopback.</summary>
public class FederationDeploymentTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(4);

    [Fact]
    public void WithoutFaultsTheDeployedRunEndsWithTheSimulationsAdapter()
    {
        using var federation = new DeploymentFixture(["alpha", "beta", "gamma"], rounds: 3, algorithm: "scaffold");
        using var server = federation.StartServer();
        server.WaitFor("listening on", Patience);
        var clients = federation.Clients.Select(c => federation.StartClient(c)).ToList();
        try
        {
            Assert.Equal(0, server.WaitForExit(Patience));
            foreach (var client in clients)
            {
                Assert.Equal(0, client.WaitForExit(Patience));
                Assert.Contains("trained 3 round(s)", client.Output);
            }
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }

        var simulation = CliProcess.RunIn(federation.Root, "simulate", "--config", "simulation.yaml", "--name", "sim");
        Assert.True(simulation.ExitCode == 0, simulation.Stderr);
        Assert.Equal(File.ReadAllBytes(federation.FinalAdapter("sim")), File.ReadAllBytes(federation.FinalAdapter("fed")));

        // The server's lasting state: three finished rounds, every member joined.
        using var database = new SqliteConnection($"Data Source={Path.Combine(federation.Root, "runs", "fed", "state.db")}");
        database.Open();
        using var command = database.CreateCommand();
        command.CommandText = "SELECT (SELECT COUNT(*) FROM rounds), (SELECT COUNT(*) FROM clients), (SELECT SUM(wire_bytes_up) FROM rounds)";
        using var reader = command.ExecuteReader();
        Assert.True(reader.Read());
        Assert.Equal(3, reader.GetInt32(0));
        Assert.Equal(3, reader.GetInt32(1));
        Assert.True(reader.GetInt64(2) > 0);
    }

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
            Assert.Equal(0, server.WaitForExit(Patience));
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
        Assert.Contains(roundOneRejections, r => r!["client"]!.GetValue<int>() == 2 && r["reason"]!.GetValue<string>().Contains("deadline"));
        Assert.All(rounds.Skip(3), r => Assert.True(r["train_loss"]!.AsObject().Count >= 2, r.ToJsonString()));

        using var database = new SqliteConnection($"Data Source={Path.Combine(runFolder, "state.db")}");
        database.Open();
        using var command = database.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM events WHERE kind = 'resumed'";
        Assert.Equal(1L, (long)command.ExecuteScalar()!);
    }
}
