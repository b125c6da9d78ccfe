using FedLlm.Tests.Cli;
using FedLlm.Tests.Infrastructure;

namespace FedLlm.Tests.Transport;

/// <summary>
/// One authenticated member cannot dominate the server: an outsized step is rejected by the default norm-ratio rule,
/// a sample count above what the member registered is refused, and a second process with a member's identity
/// replaces the first, which ends with one line while the run goes on.
/// </summary>
public class BoundedServerTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(4);

    [Fact]
    public void OutsizedUpdatesInflatedCountsAndASecondSessionAreHandled()
    {
        // Client ids follow the member list: alpha 0, beta 1, gamma 2, delta 3, epsilon 4.
        using var federation = new DeploymentFixture(["alpha", "beta", "gamma", "delta", "epsilon"], rounds: 2, algorithm: "fedavg");
        using var server = federation.StartServer("--server.wait_for_clients", "5");
        server.WaitFor("listening on", Patience);
        using var alpha = federation.StartClient("alpha");
        server.WaitFor("client alpha (id 0) joined", Patience);
        // A second process with alpha's identity (and its own state folder) takes alpha's place.
        using var usurper = federation.StartClient("alpha", "--client.state_directory", "state-alpha-2");
        Assert.True(alpha.WaitForExit(Patience) == 1, alpha.Output);
        Assert.Contains("error: the server refused this client: another process with this client's identity joined", alpha.Output);
        Assert.Contains("this session was replaced", alpha.Output);
        Assert.Contains("joined again from", server.Output);
        Assert.Contains("the earlier session is replaced", server.Output);

        using var beta = federation.StartClient("beta");
        using var gamma = federation.StartClient("gamma", "--client.corrupt_updates", "outsized");
        using var delta = federation.StartClient("delta", "--client.corrupt_updates", "inflated_count");
        using var epsilon = federation.StartClient("epsilon");
        Assert.True(server.WaitForExit(Patience) == 0, server.Output);
        foreach (var client in new[] { usurper, beta, gamma, delta, epsilon }) Assert.True(client.WaitForExit(Patience) == 0, client.Output);

        Assert.Contains("update rejected by the server: claims 1000000 training examples but registered 20 record(s) at join", delta.Output);
        var rounds = TrainingFiles.MetricLines(Path.Combine(federation.Root, "runs", "fed"), "round").ToList();
        Assert.Equal(2, rounds.Count);
        foreach (var round in rounds)
        {
            var reasons = round["rejected"]!.AsArray().ToDictionary(r => r!["client"]!.GetValue<int>(), r => r!["reason"]!.GetValue<string>());
            Assert.Contains("above max_update_norm_ratio 10", reasons[2]);
            Assert.Contains("registered 20 record(s)", reasons[3]);
            Assert.Equal(["0", "1", "4"], round["train_loss"]!.AsObject().Select(p => p.Key).Order()); // the usurper, beta and epsilon
        }
    }
}
