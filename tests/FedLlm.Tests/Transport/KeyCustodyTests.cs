using System.Security.Cryptography;
using System.Text.RegularExpressions;
using FedLlm.Tests.Infrastructure;

namespace FedLlm.Tests.Transport;

/// <summary>
/// HE key custody without trusting the server, with real processes: members' key-exchange keys pinned out of band
/// (<c>--print-fingerprint</c> into the key holder's <c>client.member_fingerprints_file</c>), fingerprints compared in full.
/// </summary>
public class KeyCustodyTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(4);

    [Fact]
    public void TheKeyHolderRefusesARelayedKeyThatIsNotPinnedForItsMemberAndTheRunGoesOnWithoutIt()
    {
        using var federation = new DeploymentFixture(["alpha", "beta", "gamma"], rounds: 1, algorithm: "fedavg", extraRunYaml: DeploymentFixture.Encryption);
        // What a substituting server amounts to for the key holder: the key relayed for gamma is not the one pinned for
        // gamma (the pin names a key only its rightful owner holds).
        string pinnedForGamma = Convert.ToHexStringLower(SHA256.HashData("the key gamma's operator read out"u8));
        var (printed, pins) = federation.PinMemberKeys(new Dictionary<string, string> { ["gamma"] = pinnedForGamma });
        using var server = federation.StartServer();
        server.WaitFor("listening on", Patience);
        var clients = federation.Clients.ToDictionary(c => c, c => federation.StartClient(c, pins));
        try
        {
            Assert.True(server.WaitForExit(Patience) == 0, server.Output);
            foreach (string name in new[] { "alpha", "beta" })
            {
                Assert.True(clients[name].WaitForExit(Patience) == 0, $"{name}: {clients[name].Output}");
                Assert.Contains("trained 1 round(s)", clients[name].Output);
            }
            Assert.NotEqual(0, clients["gamma"].WaitForExit(Patience));

            // One line on the key holder names the member and the fingerprint it was handed; the printed fingerprints
            // are what the key holder computes from the relayed keys.
            string[] refusals = Lines(clients["alpha"].Output, "refused to seal the encryption key for gamma");
            Assert.Single(refusals);
            Assert.Contains(printed["gamma"], refusals[0]);
            Assert.Contains($"sealed the encryption key for beta (key-exchange fingerprint {printed["beta"]})", clients["alpha"].Output);
            Assert.Single(Lines(clients["gamma"].Output, "refused to share the encryption key"));
            Assert.Contains(printed["gamma"], clients["gamma"].Output);
            Assert.Contains("refused to seal the encryption key for gamma", server.Output);
        }
        finally
        {
            foreach (var client in clients.Values) client.Dispose();
        }
        Assert.False(File.Exists(Path.Combine(federation.StateDirectory("gamma"), "he-secret.key")), "gamma holds the key it was refused");
        Assert.True(File.Exists(Path.Combine(federation.StateDirectory("beta"), "final_adapter", "adapter_model.safetensors")));
    }

    [Fact]
    public void AKeyHolderWithoutPinsRefusesToActUnlessTheOperatorTrustsTheRelay()
    {
        using var federation = new DeploymentFixture(["alpha", "beta"], rounds: 1, algorithm: "fedavg", extraRunYaml: DeploymentFixture.Encryption);
        using var server = federation.StartServer();
        server.WaitFor("listening on", Patience);
        using (var unpinned = federation.StartClient("alpha"))
        {
            Assert.NotEqual(0, unpinned.WaitForExit(Patience));
            Assert.Contains("client.member_fingerprints_file", unpinned.Output);
            Assert.False(File.Exists(Path.Combine(federation.StateDirectory("alpha"), "he-secret.key")), "the unpinned key holder made a key");
        }
        using var trusting = federation.StartClient("alpha", "--client.trust_server_relayed_keys", "true");
        using var beta = federation.StartClient("beta");
        Assert.True(server.WaitForExit(Patience) == 0, server.Output);
        Assert.True(trusting.WaitForExit(Patience) == 0, trusting.Output);
        Assert.True(beta.WaitForExit(Patience) == 0, beta.Output);
        Assert.Contains("WARNING: key holder: client.trust_server_relayed_keys is set", trusting.Output);
    }

    [Fact]
    public void AFingerprintPrefixOrABadPinFileIsRefusedBeforeConnectingOrWriting()
    {
        using var federation = new DeploymentFixture(["alpha"], rounds: 1, algorithm: "fedavg", extraRunYaml: DeploymentFixture.Encryption);
        string full = federation.PrintFingerprint("alpha").Stdout.Trim();
        File.WriteAllText(Path.Combine(federation.Root, "prefix-pins.txt"), $"alpha {full[..16]}\n");
        File.WriteAllText(Path.Combine(federation.Root, "odd-pins.txt"), $"# members\nalpha {full} extra\n");
        (string[] Flags, string Expected)[] cases =
        [
            (["--client.key_holder_fingerprint", full[..16]], "client.key_holder_fingerprint '" + full[..16] + "' has 16 characters, not the 64 hex digits"),
            (["--client.key_holder_fingerprint", new string('g', 64)], "client.key_holder_fingerprint '" + new string('g', 64) + "' is not hexadecimal"),
            (["--client.member_fingerprints_file", "prefix-pins.txt"], "client.member_fingerprints_file prefix-pins.txt:1: fingerprint of alpha"),
            (["--client.member_fingerprints_file", "odd-pins.txt"], "client.member_fingerprints_file odd-pins.txt:2: expected '<client id or name> <fingerprint>'"),
            (["--client.member_fingerprints_file", "missing.txt"], "client.member_fingerprints_file missing.txt does not exist"),
            (["--client.member_fingerprints_file", "odd-pins.txt", "--client.trust_server_relayed_keys", "true"], "contradict each other"),
        ];
        foreach (var (flags, expected) in cases)
        {
            // No server listens at the fixture's port: a client that got past validation would spend its give-up time there.
            var result = Client(federation, ["--client.state_directory", "state-fresh", "--client.give_up_after_seconds", "3", .. flags]);
            Assert.True(result.ExitCode != 0, string.Join(' ', flags));
            Assert.Contains(expected, result.Stderr);
            Assert.Single(result.Stderr.Trim().Split('\n'));
            Assert.False(Directory.Exists(Path.Combine(federation.Root, "state-fresh")), $"{string.Join(' ', flags)}: wrote to the state folder");
        }
        // The full fingerprint, in either case, passes validation (and the client goes on to look for the server).
        var accepted = Client(federation, ["--client.key_holder_fingerprint", full.ToUpperInvariant(), "--client.give_up_after_seconds", "1"]);
        Assert.DoesNotContain("key_holder_fingerprint", accepted.Stderr);
    }

    [Fact]
    public void PrintFingerprintPrintsTheFullSha256OfTheMembersPublicKeyStablyWithoutConnecting()
    {
        using var federation = new DeploymentFixture(["alpha"], rounds: 1, algorithm: "fedavg", extraRunYaml: DeploymentFixture.Encryption);
        var first = federation.PrintFingerprint("alpha"); // nothing listens at the server address
        var second = federation.PrintFingerprint("alpha");
        Assert.True(first.ExitCode == 0, first.Stderr);
        Assert.Matches(new Regex("^[0-9a-f]{64}\n$"), first.Stdout);
        Assert.Equal(first.Stdout, second.Stdout);

        // The SHA-256 of the member's public key (SubjectPublicKeyInfo), computed here from its key file alone.
        using var key = ECDiffieHellman.Create();
        key.ImportFromPem(File.ReadAllText(Path.Combine(federation.StateDirectory("alpha"), "key-exchange.pem")));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(key.ExportSubjectPublicKeyInfo())), first.Stdout.Trim());
        Assert.NotEqual(first.Stdout, federation.PrintFingerprint("beta").Stdout);
    }

    private static CliProcess.Result Client(DeploymentFixture federation, string[] flags) =>
        CliProcess.RunIn(federation.Root, ["client", "--config", "run.yaml", "--server", federation.Url, "--data.path", "data-alpha.jsonl",
            "--client.token_file", "certs/client-alpha.token", .. flags]);

    private static string[] Lines(string output, string text) =>
        [.. output.Split('\n').Where(line => line.Contains(text, StringComparison.Ordinal))];
}
