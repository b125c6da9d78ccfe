using System.Text;
using FedLlm.Tests.Infrastructure;

namespace FedLlm.Tests.Transport;

/// <summary>
/// A small federation on disk: a tiny model, one data file per client (and their concatenation for the simulation),
/// TLS credentials and tokens from <c>fedllm certs</c>, and ONE config file, <c>run.yaml</c>, that the server, every
/// client and the simulation all read unchanged; what differs per party (its data file, its token, its state folder)
/// comes as flags, as an operator would give them.
/// </summary>
public sealed class DeploymentFixture : IDisposable
{
    private readonly TempDirectory _temp = new();

    /// <summary>Run keys for encrypted aggregation (the default scheme, room for 4 members).</summary>
    public const string Encryption = """
        encryption:
          enabled: true
          max_clients: 4
        """;

    /// <param name="preferences">Write preference records (prompt, chosen, rejected) for <c>method: dpo</c> instead of instruction records.</param>
    /// <param name="environment">Extra environment variables for every fedllm process of this federation.</param>
    /// <param name="leaseSeconds">
    /// <c>server.lease_seconds</c>: longer than the default 15 s, so a member starved of CPU on a loaded test machine is
    /// not taken for gone; the liveness tests set the default explicitly.
    /// </param>
    public DeploymentFixture(IReadOnlyList<string> clients, int rounds, string algorithm, double deadlineSeconds = 120, int minClients = 1, bool mutualTls = false,
        string? revoked = null, string extraRunYaml = "", bool preferences = false, IReadOnlyDictionary<string, string>? environment = null,
        double leaseSeconds = 60)
    {
        Environment = environment;
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
                string other = words[(r * 3 + index + 1) % words.Length];
                lines.Append(preferences
                    ? $$"""{"prompt":"say {{word}}","chosen":"yes {{word}}","rejected":"no {{other}}","client_id":"{{client}}"}"""
                    : $$"""{"instruction":"{{(index % 2 == 0 ? "upper" : "reverse")}}: {{word}}","input":"","output":"{{answer}}","client_id":"{{client}}"}""").Append('\n');
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
              format: {(preferences ? "preference" : "alpaca")}
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
              lease_seconds: {leaseSeconds}
            {(mutualTls ? "  client_ca: certs/ca.pem" : "")}
            {Indent(tokens)}
            """;
        const string clientSection = """
            client:
              ca: certs/ca.pem
              max_backoff_seconds: 2

            """;
        File.WriteAllText(ConfigFile, run + serverSection + "\n" + clientSection);
    }

    /// <summary>The one config file of this federation.</summary>
    public string ConfigFile => Path.Combine(Root, "run.yaml");

    public string Root => _temp.Path;

    /// <summary>Extra environment variables for every fedllm process of this federation (null: none).</summary>
    public IReadOnlyDictionary<string, string>? Environment { get; }

    /// <summary><c>fedllm simulate</c> of the same run, from the same file, as run <paramref name="name"/>.</summary>
    public CliProcess.Result Simulate(string name) =>
        CliProcess.RunIn(Root, Environment, "simulate", "--config", "run.yaml", "--name", name);

    /// <summary><c>fedllm train</c> on one client's data alone, from the same file.</summary>
    public CliProcess.Result Train(string client, string name) =>
        CliProcess.RunIn(Root, Environment, "train", "--config", "run.yaml", "--data.path", $"data-{client}.jsonl", "--name", name);

    public int Port { get; }

    public string Url => $"https://localhost:{Port}";

    public IReadOnlyList<string> Clients { get; }

    public string FinalAdapter(string run) => Path.Combine(Root, "runs", run, "adapter", "adapter_model.safetensors");

    /// <summary>A member's state folder (its keys, its own global and, after an encrypted run, its final adapter).</summary>
    public string StateDirectory(string client) => Path.Combine(Root, $"state-{client}");

    public BackgroundCli StartServer(params string[] extra) =>
        BackgroundCli.Start("server", Root, Environment, ["server", "--config", "run.yaml", .. extra]);

    public BackgroundCli StartClient(string name, params string[] extra) => StartClientAt(name, Url, extra);

    /// <summary>A client of <paramref name="name"/>'s identity that connects to <paramref name="server"/> (another address or scheme).</summary>
    public BackgroundCli StartClientAt(string name, string server, params string[] extra) =>
        BackgroundCli.Start($"client {name}", Root, Environment, ["client", "--config", "run.yaml", "--server", server,
            "--data.path", $"data-{name}.jsonl", "--client.token_file", $"certs/client-{name}.token", "--client.state_directory", $"state-{name}", .. extra]);

    /// <summary><c>fedllm client --print-fingerprint</c> as member <paramref name="name"/> (its state folder): no server needed.</summary>
    public CliProcess.Result PrintFingerprint(string name, params string[] extra) =>
        CliProcess.RunIn(Root, Environment, ["client", "--config", "run.yaml", "--server", Url, "--client.state_directory", $"state-{name}", "--print-fingerprint", .. extra]);

    /// <summary>The pin file an encrypted federation's key holder reads, relative to <see cref="Root"/>.</summary>
    public const string PinFile = "member-fingerprints.txt";

    /// <summary>
    /// What operators do before an encrypted run: every member prints its key-exchange fingerprint and the lines go to
    /// the key holder's pin file; <paramref name="pinned"/> replaces a member's printed fingerprint (a wrong pin).
    /// Returns each member's printed fingerprint and the flags that hand the file to a client.
    /// </summary>
    public (Dictionary<string, string> Printed, string[] Flags) PinMemberKeys(IReadOnlyDictionary<string, string>? pinned = null)
    {
        var printed = new Dictionary<string, string>();
        var lines = new StringBuilder("# key-exchange fingerprints, collected out of band\n");
        foreach (string name in Clients)
        {
            var result = PrintFingerprint(name);
            if (result.ExitCode != 0) throw new InvalidOperationException($"--print-fingerprint failed for {name}: {result.Stderr}");
            printed[name] = result.Stdout.Trim();
            lines.Append(name).Append(' ').Append(pinned?.GetValueOrDefault(name) ?? printed[name]).Append('\n');
        }
        File.WriteAllText(Path.Combine(Root, PinFile), lines.ToString());
        return (printed, ["--client.member_fingerprints_file", PinFile]);
    }

    /// <summary>
    /// Starts the server and every client, with <paramref name="frozen"/> stopped (SIGSTOP) before it can join, while round 1
    /// starts once the others have joined: that member misses round 1's deadline deterministically, however fast the
    /// others train. Restart it with <see cref="Restart"/>.
    /// </summary>
    public (BackgroundCli Server, Dictionary<string, BackgroundCli> Clients) StartWithFrozenMember(string frozen, params string[] clientFlags)
    {
        var server = StartServer("--server.wait_for_clients", (Clients.Count - 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
        var clients = new Dictionary<string, BackgroundCli> { [frozen] = StartClient(frozen, clientFlags) };
        ProcessMemory.Suspend(clients[frozen].ProcessId);
        foreach (string name in Clients.Where(c => c != frozen)) clients[name] = StartClient(name, clientFlags);
        return (server, clients);
    }

    /// <summary>Kills a member as a crash would and starts it again with the same state folder.</summary>
    public void Restart(Dictionary<string, BackgroundCli> clients, string name)
    {
        clients[name].Kill();
        clients[name].Dispose();
        clients[name] = StartClient(name);
    }

    /// <summary>The server's exit code; when it does not exit in time, the failure carries every member's output too (the server's alone rarely says why).</summary>
    public static int ServerExitCode(BackgroundCli server, IReadOnlyDictionary<string, BackgroundCli> members, TimeSpan patience)
    {
        try
        {
            return server.WaitForExit(patience);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException(e.Message + string.Concat(members.Select(m => $"\n--- {m.Key}:\n{m.Value.Output}")), e);
        }
    }

    public void Dispose() => _temp.Dispose();

    /// <summary>
    /// The reason a round went on without a frozen member: its deadline passed, or (on a slow machine, first) the server
    /// noticed it never joined within a lease of its start.
    /// </summary>
    public static bool WentOnWithout(string reason) =>
        reason.Contains("deadline", StringComparison.Ordinal) || reason.Contains("it has not joined", StringComparison.Ordinal);

    private static string Indent(string yaml) =>
        string.Join('\n', yaml.Split('\n').Where(l => !l.StartsWith('#')).Select(l => l.Length == 0 ? l : "  " + l));

    private static void Check(CliProcess.Result result)
    {
        if (result.ExitCode != 0) throw new InvalidOperationException($"setup failed: {result.Stderr}");
    }
}
