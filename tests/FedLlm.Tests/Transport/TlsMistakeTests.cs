using System.Diagnostics;
using FedLlm.Tests.Infrastructure;

namespace FedLlm.Tests.Transport;

/// <summary>
/// Set-up mistakes are not network weather: a foreign client certificate, a client trusting the wrong CA, plaintext
/// against TLS and TLS against plaintext each end the client at once with one line saying what to check, and the
/// server logs every refused handshake with the peer's address. A plaintext address without --insecure never connects.
/// </summary>
public class TlsMistakeTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(3);

    /// <summary>Clients give up after 600 s of connection trouble by default; a set-up mistake must end far sooner.</summary>
    private static readonly TimeSpan Promptly = TimeSpan.FromSeconds(90);

    [Fact]
    public void EachMistakeEndsTheClientAtOnceWithOneLineAndTheServerLogsThePeer()
    {
        using var federation = new DeploymentFixture(["alpha", "beta"], rounds: 1, algorithm: "fedavg", mutualTls: true);
        Assert.Equal(0, CliProcess.RunIn(federation.Root, "certs", "--out", "foreign", "--clients", "alpha").ExitCode);
        using var server = federation.StartServer();
        server.WaitFor("listening on", Patience);

        // A client certificate from another CA (and no token).
        AssertRefusedPromptly(federation.StartClient("alpha", "--client.token_file", "", "--client.certificate", "foreign/client-alpha.pem",
            "--client.key", "foreign/client-alpha-key.pem", "--client.state_directory", "state-foreign"),
            "does not chain to this federation's CA", federation, "state-foreign");
        // A client that trusts another CA than the server's.
        AssertRefusedPromptly(federation.StartClient("alpha", "--client.ca", "foreign/ca.pem", "--client.state_directory", "state-wrong-ca"),
            "this client does not trust the certificate of", federation, "state-wrong-ca");
        // Plaintext against the TLS port.
        AssertRefusedPromptly(federation.StartClientAt("alpha", $"http://localhost:{federation.Port}", "--insecure", "--client.state_directory", "state-plain"),
            "did not answer plaintext HTTP/2: the server expects TLS", federation, "state-plain");
        // A plaintext address without --insecure is refused before any connection: the token never leaves.
        AssertRefusedPromptly(federation.StartClientAt("alpha", $"http://localhost:{federation.Port}", "--client.state_directory", "state-cleartext"),
            "plaintext would send this client's token in the clear", federation, "state-cleartext");

        server.WaitFor("does not chain to this federation's CA", Patience);
        server.WaitFor("refused a plaintext connection from 127.0.0.1:", Patience);
        server.WaitFor("TLS handshake with 127.0.0.1:", Patience);
        Assert.Contains("refused a call from ipv", server.Output); // the foreign certificate's call, with its peer
        server.Kill();

        // TLS against a plaintext server.
        int port = BackgroundCli.FreePort();
        using var plaintext = federation.StartServer("--insecure", "--server.listen", $"http://127.0.0.1:{port}", "--name", "plaintext");
        plaintext.WaitFor("listening on", Patience);
        AssertRefusedPromptly(federation.StartClientAt("alpha", $"https://localhost:{port}", "--client.state_directory", "state-tls"),
            "does not answer TLS: the server is plaintext", federation, "state-tls");
        plaintext.WaitFor("refused a TLS handshake from 127.0.0.1:", Patience);
    }

    private static void AssertRefusedPromptly(BackgroundCli client, string expected, DeploymentFixture federation, string stateDirectory)
    {
        using (client)
        {
            var clock = Stopwatch.StartNew();
            Assert.Equal(1, client.WaitForExit(Patience));
            Assert.True(clock.Elapsed < Promptly, $"took {clock.Elapsed.TotalSeconds:0} s to give up:\n{client.Output}");
            var errors = client.Output.Split('\n').Where(l => l.StartsWith("error:", StringComparison.Ordinal)).ToList();
            Assert.True(errors.Count == 1 && errors[0].Contains(expected, StringComparison.Ordinal), client.Output);
            Assert.DoesNotContain("   at ", client.Output);
            Assert.DoesNotContain("retrying", client.Output);
            Assert.False(Directory.Exists(Path.Combine(federation.Root, stateDirectory)), "a refused client wrote its state folder");
        }
    }
}
