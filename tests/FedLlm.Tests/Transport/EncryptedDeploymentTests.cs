using System.Buffers.Binary;
using System.Text.Json.Nodes;
using FedLlm.Tests.Infrastructure;

namespace FedLlm.Tests.Transport;

/// <summary>Encrypted FedAvg between real server and client processes over TLS: ciphertexts, aggregates and sealed key shares on the wire.</summary>
public class EncryptedDeploymentTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(4);

    [Fact]
    public void EncryptedRunMatchesTheEncryptedSimulationWhileTheServerProcessHoldsNoKey()
    {
        using var federation = new DeploymentFixture(["alpha", "beta", "gamma"], rounds: 3, algorithm: "fedavg", extraRunYaml: DeploymentFixture.Encryption);
        var (_, pins) = federation.PinMemberKeys();
        using var server = federation.StartServer();
        server.WaitFor("listening on", Patience);
        var clients = federation.Clients.ToDictionary(c => c, c => federation.StartClient(c, pins));
        try
        {
            // After round 1 the server has relayed the sealed key shares and summed one round of ciphertexts.
            server.WaitFor("round 1/3", Patience);
            byte[] secret = ExportedKey(Path.Combine(federation.StateDirectory("alpha"), "he-secret.key"));
            byte[] packed = secret.AsSpan(28, 64).ToArray();         // 256 coefficients as exported (2 bits each)
            byte[] unpacked = UnpackedCoefficients(secret, 64);       // the first 64 as the key object holds them (sbyte)
            using (ProcessMemory.Suspend(server.ProcessId))
            using (ProcessMemory.Suspend(clients["beta"].ProcessId))
            {
                // Positive control: a member that received the key holds it in exactly this form.
                Assert.True(ProcessMemory.Contains(clients["beta"].ProcessId, unpacked), "the scan did not find the key in a member that holds it");
                Assert.False(ProcessMemory.Contains(server.ProcessId, unpacked), "the server process holds the secret key's coefficients");
                Assert.False(ProcessMemory.Contains(server.ProcessId, packed), "the server process holds the exported secret key");
            }

            Assert.Equal(0, server.WaitForExit(Patience));
            foreach (var (name, client) in clients)
            {
                Assert.True(client.WaitForExit(Patience) == 0, $"{name}: {client.Output}");
                Assert.Contains("trained 3 round(s)", client.Output);
            }
            Assert.Contains("sealed the encryption key for beta", clients["alpha"].Output);
            Assert.Contains("received the encryption key from alpha", clients["gamma"].Output);
        }
        finally
        {
            foreach (var client in clients.Values) client.Dispose();
        }

        // Nothing the server wrote holds the key either.
        byte[] key = ExportedKey(Path.Combine(federation.StateDirectory("alpha"), "he-secret.key"));
        string runFolder = Path.Combine(federation.Root, "runs", "fed");
        foreach (string file in Directory.EnumerateFiles(runFolder, "*", SearchOption.AllDirectories))
        {
            byte[] contents = File.ReadAllBytes(file);
            Assert.True(contents.AsSpan().IndexOf(key.AsSpan(28, 64)) < 0, $"{file} holds the exported key");
            Assert.True(contents.AsSpan().IndexOf(UnpackedCoefficients(key, 64)) < 0, $"{file} holds the key's coefficients");
        }
        Assert.False(Directory.Exists(Path.Combine(runFolder, "adapter")), "the server wrote a trained adapter it should never see");

        // Every member ends with the same adapter, and it is the encrypted simulation's.
        var simulation = federation.Simulate("sim");
        Assert.True(simulation.ExitCode == 0, simulation.Stderr);
        byte[] simulated = File.ReadAllBytes(federation.FinalAdapter("sim"));
        foreach (string name in federation.Clients)
            Assert.Equal(simulated, File.ReadAllBytes(Path.Combine(federation.StateDirectory(name), "final_adapter", "adapter_model.safetensors")));

        // The wire carried ciphertexts at under 2× the fp32 size of the updates.
        var rounds = File.ReadLines(Path.Combine(runFolder, "metrics.jsonl")).Select(l => JsonNode.Parse(l)!)
            .Where(m => (string?)m["type"] == "round").ToList();
        Assert.Equal(3, rounds.Count);
        Assert.All(rounds, r =>
        {
            Assert.Equal(3, r["train_loss"]!.AsObject().Count);
            double ratio = r["encrypted_up_ratio_to_fp32"]!.GetValue<double>();
            Assert.InRange(ratio, 1.0, 2.0);
            Assert.InRange(r["wire_up_ratio_to_fp32"]!.GetValue<double>(), ratio, 2.0);
        });
        Assert.Equal(3, Directory.GetFiles(Path.Combine(runFolder, "encryption"), "round-*.he").Length);
    }

    [Fact]
    public void ALateMemberAndARestartedServerCatchUpFromTheStoredEncryptedAggregates()
    {
        using var federation = new DeploymentFixture(["alpha", "beta", "gamma"], rounds: 5, algorithm: "fedavg", deadlineSeconds: 12, extraRunYaml: DeploymentFixture.Encryption);
        // gamma is frozen before it can join, misses round 1, then joins late and must rebuild the global from round 0.
        var (server, clients) = federation.StartWithFrozenMember("gamma", federation.PinMemberKeys().Flags);
        var outputs = new Dictionary<string, string>();
        try
        {
            server.WaitFor("round 2/5", Patience);
            federation.Restart(clients, "gamma");
            server.WaitFor("round 3/5", Patience);
            server.Kill();
            server.Dispose();
            server = federation.StartServer();
            Assert.Equal(0, server.WaitForExit(Patience));
            foreach (var (name, client) in clients) Assert.True(client.WaitForExit(Patience) == 0, $"{name}: {client.Output}");
        }
        finally
        {
            server.Dispose();
            foreach (var (name, client) in clients)
            {
                client.Dispose();
                outputs[name] = client.Output;
            }
        }

        string Adapter(string name) => Path.Combine(federation.StateDirectory(name), "final_adapter", "adapter_model.safetensors");
        foreach (string name in federation.Clients) Assert.True(File.Exists(Adapter(name)), $"{name} has no final adapter: {outputs[name]}");
        Assert.Equal(File.ReadAllBytes(Adapter("alpha")), File.ReadAllBytes(Adapter("gamma")));
        Assert.Equal(File.ReadAllBytes(Adapter("alpha")), File.ReadAllBytes(Adapter("beta")));
        var rounds = File.ReadLines(Path.Combine(federation.Root, "runs", "fed", "metrics.jsonl")).Select(l => JsonNode.Parse(l)!)
            .Where(m => (string?)m["type"] == "round").ToList();
        Assert.Equal([0, 1, 2, 3, 4], rounds.Select(r => r["round"]!.GetValue<int>()));
        Assert.Contains(rounds[0]["rejected"]!.AsArray(), r => DeploymentFixture.WentOnWithout(r!["reason"]!.GetValue<string>()));
        Assert.Equal(3, rounds[^1]["train_loss"]!.AsObject().Count);
    }

    [Fact]
    public void DamagedCiphertextIsRefusedWithItsReasonAndTheRoundGoesOn()
    {
        using var federation = new DeploymentFixture(["alpha", "beta", "gamma"], rounds: 2, algorithm: "fedavg", extraRunYaml: DeploymentFixture.Encryption);
        var (_, pins) = federation.PinMemberKeys();
        using var server = federation.StartServer();
        server.WaitFor("listening on", Patience);
        var clients = new[]
        {
            federation.StartClient("alpha", pins),
            federation.StartClient("beta", "--client.corrupt_updates", "wrong_shape"),
            federation.StartClient("gamma", "--client.corrupt_updates", "nan"),
        };
        try
        {
            Assert.Equal(0, server.WaitForExit(Patience));
            foreach (var client in clients) Assert.Equal(0, client.WaitForExit(Patience));
            Assert.Contains("update rejected by the server", clients[1].Output);
            Assert.Contains("malformed ciphertext", clients[1].Output);
            Assert.Contains("malformed ciphertext", clients[2].Output);
            Assert.Contains("round 2: update accepted", clients[0].Output);
        }
        finally
        {
            foreach (var client in clients) client.Dispose();
        }
        var rounds = File.ReadLines(Path.Combine(federation.Root, "runs", "fed", "metrics.jsonl")).Select(l => JsonNode.Parse(l)!)
            .Where(m => (string?)m["type"] == "round").ToList();
        Assert.All(rounds, r => Assert.Single(r["train_loss"]!.AsObject()));
        Assert.All(rounds, r => Assert.Equal(2, r["rejected"]!.AsArray().Count));
    }

    [Fact]
    public void AClientWithOtherEncryptionSettingsIsTurnedAwayAtJoin()
    {
        using var federation = new DeploymentFixture(["alpha", "beta"], rounds: 1, algorithm: "fedavg", extraRunYaml: DeploymentFixture.Encryption);
        using var server = federation.StartServer();
        server.WaitFor("listening on", Patience);
        using var plaintext = federation.StartClient("beta", "--encryption.enabled", "false");
        Assert.NotEqual(0, plaintext.WaitForExit(Patience));
        Assert.Contains("the run aggregates encrypted updates", plaintext.Output);
        using var otherClip = federation.StartClient("beta", "--encryption.clip_range", "0.5");
        Assert.NotEqual(0, otherClip.WaitForExit(Patience));
        Assert.Contains("encryption settings differ", otherClip.Output);
    }

    /// <summary>The <c>HeSecretKey.Export</c> bytes inside a member's key file (after its run tag).</summary>
    private static byte[] ExportedKey(string keyFile)
    {
        byte[] contents = File.ReadAllBytes(keyFile);
        int tagLength = BinaryPrimitives.ReadUInt16LittleEndian(contents);
        return contents[(2 + tagLength)..];
    }

    private static byte[] UnpackedCoefficients(byte[] exported, int count)
    {
        var coefficients = new byte[count];
        for (int k = 0; k < count; k++)
        {
            int code = (exported[28 + k / 4] >> (2 * (k % 4))) & 3;
            coefficients[k] = code switch { 0 => 0, 1 => 1, _ => 0xFF };
        }
        return coefficients;
    }
}
