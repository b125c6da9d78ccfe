using System.Text;
using FedLlm.Tests.Infrastructure;

namespace FedLlm.Tests.Transport;

/// <summary>
/// A small federation on disk: a tiny model, one data file per client (and their concatenation for the simulation),
/// TLS credentials and tokens from <c>fedllm certs</c>, and config files for the server, each client and a simulation.
/// </summary>
public sealed class DeploymentFixture : IDisposable
{
    private readonly TempDirectory _temp = new();

    public DeploymentFixture(IReadOnlyList<string> clients, int rounds, string algorithm, double deadlineSeconds = 120, int minClients = 1, bool mutualTls = false, string? revoked = null, string extraRunYaml = "")
    {
        Clients = clients;
        Port = BackgroundCli.FreePort();
        Check(CliProcess.RunIn(Root, "init", "model", "--preset", "tiny", "--seed", "3"));
        Check(CliProcess.RunIn(Root, "certs", "--out", "certs", "--clients", string.Join(',', clients)));
        string[] words = ["cat", "dog", "sun", "tree", "fish", "bird", "moon", "rock", "lake", "wind"];
        var all = new StringBuilder();
        foreach (var (client, index) in clients.Select((c, i) => (c, i)))
        {
            var lines = new StringBuilder();
            for (int r = 0; r < 20; r++)
            {
                string word = words[(r * 7 + index * 3) % words.Length];
                string answer = index % 2 == 0 ? word.ToUpperInvariant() : new string(word.Reverse().ToArray());
                lines.Append($$"""{"instruction":"{{(index % 2 == 0 ? "upper" : "reverse")}}: {{word}}","input":"","output":"{{answer}}","client_id":"{{client}}"}""").Append('\n');
            }
            File.WriteAllText(Path.Combine(Root, $"data-{client}.jsonl"), lines.ToString());
            all.Append(lines);
        }
        File.WriteAllText(Path.Combine(Root, "data-all.jsonl"), all.ToString());

        string run = $"""
            name: fed
            output_directory: runs
            seed: 11
            rounds: {rounds}
            model:
              path: model
            data:
              path: data-all.jsonl
              format: alpaca
              held_out_fraction: 0.2
            split:
              method: natural
              field: client
              clients: {clients.Count}
            lora:
              rank: 4
              dropout: 0
            training:
              learning_rate: 0.002
              min_learning_rate: 0.0001
              max_steps: 2
              batch_size: 4
              max_sequence_length: 48
            strategy:
              algorithm: {algorithm}
            {extraRunYaml}

            """;
        string tokens = File.ReadAllText(Path.Combine(Root, "certs", "server-clients.yaml"));
        if (revoked is not null)
        {
            // Mark one member revoked: the line after its name holds its token hash.
            var lines = tokens.Split('\n').ToList();
            int at = lines.IndexOf($"  - name: {revoked}");
            lines.Insert(at + 2, "    revoked: true");
            tokens = string.Join('\n', lines);
        }
        string serverSection = $"""
            server:
              listen: https://127.0.0.1:{Port}
              certificate: certs/server.pem
              key: certs/server-key.pem
              round_deadline_seconds: {deadlineSeconds}
              min_clients: {minClients}
            {(mutualTls ? "  client_ca: certs/ca.pem" : "")}
            {Indent(tokens)}
            """;
        File.WriteAllText(Path.Combine(Root, "server.yaml"), run + serverSection);
        File.WriteAllText(Path.Combine(Root, "simulation.yaml"), run);
        foreach (string client in clients)
        {
            File.WriteAllText(Path.Combine(Root, $"client-{client}.yaml"), run.Replace("data-all.jsonl", $"data-{client}.jsonl") + $"""
                client:
                  token_file: certs/client-{client}.token
                  ca: certs/ca.pem
                  state_directory: state-{client}
                  max_backoff_seconds: 2

                """);
        }
    }

    public string Root => _temp.Path;

    public int Port { get; }

    public string Url => $"https://localhost:{Port}";

    public IReadOnlyList<string> Clients { get; }

    public string FinalAdapter(string run) => Path.Combine(Root, "runs", run, "adapter", "adapter_model.safetensors");

    /// <summary>A member's state folder (its keys, its own global and, after an encrypted run, its final adapter).</summary>
    public string StateDirectory(string client) => Path.Combine(Root, $"state-{client}");

    public BackgroundCli StartServer(params string[] extra) =>
        BackgroundCli.Start("server", Root, ["server", "--config", "server.yaml", .. extra]);

    public BackgroundCli StartClient(string name, params string[] extra) =>
        BackgroundCli.Start($"client {name}", Root, ["client", "--config", $"client-{name}.yaml", "--server", Url, .. extra]);

    /// <summary>
    /// Starts the server and every client, with <paramref name="frozen"/> stopped (SIGSTOP) before it can join, while round 1
    /// starts once the others have joined: that member misses round 1's deadline deterministically, however fast the
    /// others train. Restart it with <see cref="Restart"/>.
    /// </summary>
    public (BackgroundCli Server, Dictionary<string, BackgroundCli> Clients) StartWithFrozenMember(string frozen)
    {
        var server = StartServer("--server.wait_for_clients", (Clients.Count - 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
        var clients = new Dictionary<string, BackgroundCli> { [frozen] = StartClient(frozen) };
        ProcessMemory.Suspend(clients[frozen].ProcessId);
        foreach (string name in Clients.Where(c => c != frozen)) clients[name] = StartClient(name);
        return (server, clients);
    }

    /// <summary>Kills a member as a crash would and starts it again with the same state folder.</summary>
    public void Restart(Dictionary<string, BackgroundCli> clients, string name)
    {
        clients[name].Kill();
        clients[name].Dispose();
        clients[name] = StartClient(name);
    }

    public void Dispose() => _temp.Dispose();

    private static string Indent(string yaml) =>
        string.Join('\n', yaml.Split('\n').Where(l => !l.StartsWith('#')).Select(l => l.Length == 0 ? l : "  " + l));

    private static void Check(CliProcess.Result result)
    {
        if (result.ExitCode != 0) throw new InvalidOperationException($"setup failed: {result.Stderr}");
    }
}
