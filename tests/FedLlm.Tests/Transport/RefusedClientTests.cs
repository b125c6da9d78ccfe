using FedLlm.Tests.Infrastructure;

namespace FedLlm.Tests.Transport;

/// <summary>Bad actors are refused with a reason both sides log, and the run goes on without them.</summary>
public class RefusedClientTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(4);

    [Fact]
    public void WrongTokenRevokedNanAndWrongShapeClientsAreRefusedAndTheRunCompletesWithAnMtlsMember()
    {
        using var federation = new DeploymentFixture(["honest", "nan", "shape", "former"], rounds: 2, algorithm: "fedavg", mutualTls: true, revoked: "former");
        File.WriteAllText(Path.Combine(federation.Root, "intruder.token"), "not-a-member\n");
        using var server = federation.StartServer();
        server.WaitFor("listening on", Patience);
        // The honest member proves who it is with its certificate alone (mTLS), no token.
        using var honest = federation.StartClient("honest", "--client.token_file", "", "--client.certificate", "certs/client-honest.pem",
            "--client.key", "certs/client-honest-key.pem");
        using var nan = federation.StartClient("nan", "--client.corrupt_updates", "nan");
        using var shape = federation.StartClient("shape", "--client.corrupt_updates", "wrong_shape");
        using var intruder = federation.StartClient("honest", "--client.token_file", "intruder.token", "--client.state_directory", "state-intruder");

        using var former = federation.StartClient("former");
        Assert.True(intruder.WaitForExit(Patience) == 1, intruder.Output);
        Assert.True(former.WaitForExit(Patience) == 1, former.Output);
        Assert.Contains("error: the server refused this client: client 'former' has been revoked", former.Output);
        Assert.Contains("error: the server refused this client: unknown client token", intruder.Output);
        var members = new Dictionary<string, BackgroundCli> { ["honest"] = honest, ["nan"] = nan, ["shape"] = shape };
        int exit = DeploymentFixture.ServerExitCode(server, members, Patience);
        Assert.True(exit == 0, server.Output + string.Concat(members.Select(m => $"\n--- {m.Key}:\n{m.Value.Output}")));
        foreach (var client in new[] { honest, nan, shape }) Assert.True(client.WaitForExit(Patience) == 0, client.Output);

        Assert.Contains("round 1: update accepted", honest.Output);
        Assert.Contains("round 2: update accepted", honest.Output);
        Assert.Contains("round 1: update rejected by the server: client 1: weight 0 is NaN", nan.Output);
        // The wrong length is refused from the header, before anything is allocated for it.
        Assert.Contains("round 1: update rejected by the server: malformed update: vector 'weights' announces", shape.Output);
        Assert.Contains("the adapter has", shape.Output);
        Assert.Contains("refused a call", server.Output);
        Assert.Contains("unknown client token", server.Output);
        Assert.Contains("client 'former' has been revoked", server.Output);
        Assert.Contains("weight 0 is NaN", server.Output);
        Assert.Contains("the adapter has", server.Output);
        Assert.Contains("1 accepted, 2 rejected", server.Output);
    }
}
