using FedLlm.Tests.Cli;
using FedLlm.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace FedLlm.Tests.Transport;

/// <summary>
/// Dead and mismatched members do not stall a federation: a member killed for good is dropped once its lease lapses,
/// one with another LoRA layout is refused at join;
/// every later round goes on without waiting for the deadline. Joins, departures and failed rounds are in the events.
/// </summary>
public class LivenessTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(5);

    [Fact]
    public void KilledAndMismatchedMembersAreNotWaitedFor()
    {
        using var federation = new DeploymentFixture(["alpha", "beta", "gamma", "mismatched"], rounds: 4, algorithm: "fedavg", deadlineSeconds: 60, leaseSeconds: 15);
        using var server = federation.StartServer("--server.wait_for_clients", "3");
        server.WaitFor("listening on", Patience);
        var clients = new[] { "alpha", "beta", "gamma" }.ToDictionary(c => c, c => federation.StartClient(c));
        using var mismatched = federation.StartClient("mismatched", "--lora.rank", "8");
        try
        {
            Assert.True(mismatched.WaitForExit(Patience) == 1, mismatched.Output);
            Assert.Contains("error: the server refused this client: this client's LoRA layout", mismatched.Output);

            server.WaitFor("round 1/4", Patience);
            clients["gamma"].Kill(); // for good
            Assert.True(server.WaitForExit(Patience) == 0, server.Output);
            foreach (string name in new[] { "alpha", "beta" }) Assert.Equal(0, clients[name].WaitForExit(Patience));
        }
        finally
        {
            foreach (var client in clients.Values) client.Dispose();
        }

        var rounds = TrainingFiles.MetricLines(Path.Combine(federation.Root, "runs", "fed"), "round").ToList();
        Assert.Equal(4, rounds.Count);
        // Only the first of the remaining rounds may wait, and only for gamma's lease (15 s), never the 60 s deadline.
        double remaining = rounds.Skip(1).Sum(r => r["seconds"]!.GetValue<double>());
        Assert.True(remaining < 45, $"rounds 2-4 took {remaining:0.#} s with a 60 s deadline");
        // gamma may have sent round 2's update before the kill landed; from round 3 on it is gone.
        foreach (var round in rounds.Skip(2)) Assert.Equal(2, round["train_loss"]!.AsObject().Count);

        var events = Events(federation);
        Assert.Equal(3, events.Count(e => e.Kind == "joined")); // alpha, beta, gamma; mismatched was refused
        Assert.Contains(events, e => e is { Kind: "gone", Client: "gamma" } && e.Message.Contains("lease lapsed", StringComparison.Ordinal));
        Assert.Contains(events, e => e is { Kind: "refused", Client: "mismatched" });
    }

    [Fact]
    public void ARunInWhichNoRoundAggregatesEndsNonZeroWithFailedRoundsRecorded()
    {
        using var federation = new DeploymentFixture(["alpha", "beta"], rounds: 2, algorithm: "fedavg", deadlineSeconds: 60, minClients: 2);
        using var server = federation.StartServer("--server.wait_for_clients", "1", "--server.lease_seconds", "3");
        server.WaitFor("listening on", Patience);
        using var alpha = federation.StartClient("alpha");
        Assert.Equal(1, server.WaitForExit(Patience));
        Assert.Contains("error: no round aggregated in 2 round(s)", server.Output);
        Assert.DoesNotContain("Run finished", server.Output);
        var rounds = TrainingFiles.MetricLines(Path.Combine(federation.Root, "runs", "fed"), "round").ToList();
        Assert.All(rounds, r => Assert.Contains("fewer than the 2 needed", r["failed"]!.GetValue<string>()));
        Assert.Equal(2, Events(federation).Count(e => e.Kind == "round-failed"));
    }

    private static List<(string Kind, string? Client, string Message)> Events(DeploymentFixture federation)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(federation.Root, "runs", "fed", "state.db")};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var query = connection.CreateCommand();
        query.CommandText = "SELECT kind, client, message FROM events ORDER BY id";
        using var reader = query.ExecuteReader();
        var events = new List<(string, string?, string)>();
        while (reader.Read()) events.Add((reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetString(2)));
        return events;
    }
}
