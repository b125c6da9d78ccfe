using FedLlm.Tests.Infrastructure;

namespace FedLlm.Tests.Transport;

/// <summary>
/// SIGTERM (a service manager stopping fedllm, or Ctrl+C) ends a member waiting for work and a waiting server with the
/// one "interrupted" line and exit code 130: never "the server refused this client", never a stack trace (one stop in
/// about twelve once crashed with ObjectDisposedException, so the stop is repeated).
/// </summary>
public class TerminationTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(2);
    private const int Stops = 6;

    [Fact]
    public void ATerminatedMemberInsideItsFetchAndATerminatedServerSayInterruptedAndNothingElse()
    {
        // beta never starts, so the server keeps waiting for it and alpha keeps waiting inside its fetch.
        using var federation = new DeploymentFixture(["alpha", "beta"], rounds: 2, algorithm: "fedavg", leaseSeconds: 600);
        using var server = federation.StartServer();
        server.WaitFor("listening on", Patience);
        for (int stop = 0; stop < Stops; stop++)
        {
            using var alpha = federation.StartClient("alpha");
            alpha.WaitFor("joined as alpha", Patience);
            Thread.Sleep(200 * stop); // different moments of the long poll
            alpha.Terminate();
            Assert.True(alpha.WaitForExit(Patience) == 130, $"stop {stop}: {alpha.Output}");
            AssertInterruptedOnly(alpha.Output, $"member, stop {stop}");
        }
        server.Terminate();
        Assert.True(server.WaitForExit(Patience) == 130, server.Output);
        AssertInterruptedOnly(server.Output, "server");
    }

    private static void AssertInterruptedOnly(string output, string who)
    {
        Assert.True(output.Contains("interrupted", StringComparison.Ordinal), $"{who}: {output}");
        Assert.False(output.Contains("refused", StringComparison.Ordinal), $"{who}: {output}");
        Assert.False(output.Contains("Exception", StringComparison.Ordinal), $"{who}: {output}");
        Assert.False(output.Contains("   at ", StringComparison.Ordinal), $"{who}: {output}");
    }
}
