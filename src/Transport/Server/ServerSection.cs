using FedLlm.Foundation.Configuration;

namespace FedLlm.Transport.Server;

/// <summary>The <c>server:</c> section of a deployment config (YAML keys are the snake_case names).</summary>
public sealed record ServerSection
{
    /// <summary>Address Kestrel listens on, e.g. https://0.0.0.0:50051 (http:// only with <see cref="Insecure"/>).</summary>
    public string Listen { get; init; } = "https://127.0.0.1:50051";
    /// <summary>Plaintext HTTP/2 without TLS: only for a trusted network or a local test, never by default.</summary>
    public bool Insecure { get; init; }
    /// <summary>PEM certificate and key of the server (from <c>fedllm certs</c>).</summary>
    public string? Certificate { get; init; }
    public string? Key { get; init; }
    /// <summary>CA certificate (PEM) that client certificates must chain to; enables mTLS client authentication.</summary>
    public string? ClientCa { get; init; }
    /// <summary>The federation's members in client-id order (id = position); for a natural split, the split's order.</summary>
    public List<ClientEntry> Clients { get; init; } = [];
    /// <summary>Seconds a round waits for results before aggregating what arrived.</summary>
    public double RoundDeadlineSeconds { get; init; } = 600;
    /// <summary>Fewest accepted results that still aggregate; below it the global model stays as it was.</summary>
    public int MinClients { get; init; } = 1;
    /// <summary>Clients that must have joined before the first round starts (0 = all).</summary>
    public int WaitForClients { get; init; }
    /// <summary>Encrypted runs: the member that generates the HE key and shares it with the others (default: the first member not revoked).</summary>
    public string? KeyHolder { get; init; }
    /// <summary>
    /// Seconds without contact after which a member counts as gone (a member at work renews its lease every third of it):
    /// its open work fails at once and later rounds do not wait for it until it is back.
    /// </summary>
    public double LeaseSeconds { get; init; } = 15;
    /// <summary>
    /// How far the server believes the sample count a member claims for its update (FedAvg's weight): <c>samples</c>
    /// (the claim, but never above the record count the member registered at join, nor <see cref="MaxSampleCount"/>)
    /// or <c>equal</c> (every accepted update weighs the same, whatever it claims).
    /// </summary>
    public string ClientWeight { get; init; } = "samples";
    /// <summary>Largest sample count a member may claim (0 = bounded only by its registered record count).</summary>
    public long MaxSampleCount { get; init; }
    /// <summary>
    /// The live dashboard at /dashboard on the server's port, read-only: <c>loopback</c> (default; only this machine may
    /// look), <c>members</c> (a member's token as bearer or ?token=, or its client certificate) or <c>off</c>.
    /// </summary>
    public string Dashboard { get; init; } = "loopback";

    /// <summary><see cref="ClientWeight"/>, parsed (call after <see cref="Validate"/>).</summary>
    public ClientWeightPolicy ClientWeightPolicy => ClientWeights.Names.Parse(ClientWeight, "server.client_weight");

    /// <summary>The key holder's client id: <see cref="KeyHolder"/>, or the first member not revoked.</summary>
    public int KeyHolderId => KeyHolder is null ? Clients.FindIndex(c => !c.Revoked) : Clients.FindIndex(c => c.Name == KeyHolder);

    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (Clients.Count == 0) problems.Add("server.clients: list the federation's clients (name and token_sha256 or certificate)");
        else if (Clients.All(c => c.Revoked)) problems.Add("server.clients: every client is revoked");
        foreach (var (client, index) in Clients.Select((c, i) => (c, i)))
        {
            if (string.IsNullOrWhiteSpace(client.Name)) problems.Add($"server.clients[{index}]: name is required");
            if (client.TokenSha256 is null && client.Token is null && ClientCa is null)
                problems.Add($"server.clients[{index}] ({client.Name}): give token_sha256 (or token), or configure client_ca for mTLS");
        }
        var duplicate = Clients.GroupBy(c => c.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) problems.Add($"server.clients: '{duplicate.Key}' is listed twice");
        if (!Insecure && (Certificate is null || Key is null))
            problems.Add("server: certificate and key are required for TLS (make them with `fedllm certs`), or set insecure: true for plaintext");
        if (Insecure && Listen.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
            problems.Add($"server.listen is {Listen} but insecure is set: use an http:// address");
        if (!Insecure && Listen.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
            problems.Add($"server.listen is {Listen}: plaintext needs an explicit insecure: true (or --insecure)");
        if (!(LeaseSeconds > 0)) problems.Add($"server.lease_seconds must be positive, got {LeaseSeconds}");
        if (ClientWeights.Names.Problem(ClientWeight, "server.client_weight") is { } weightProblem) problems.Add(weightProblem);
        if (MaxSampleCount < 0) problems.Add($"server.max_sample_count must be 0 (no cap) or positive, got {MaxSampleCount}");
        if (RoundDeadlineSeconds <= 0) problems.Add($"server.round_deadline_seconds must be positive, got {RoundDeadlineSeconds}");
        if (MinClients < 1) problems.Add($"server.min_clients must be at least 1, got {MinClients}");
        if (KeyHolder is not null && !Clients.Any(c => c.Name == KeyHolder && !c.Revoked))
            problems.Add($"server.key_holder '{KeyHolder}' is not an active member of server.clients");
        if (WaitForClients < 0 || WaitForClients > Clients.Count)
            problems.Add($"server.wait_for_clients must be between 0 and the number of clients ({Clients.Count}), got {WaitForClients}");
        if (!DashboardAccesses.Names.TryParse(Dashboard, out _)) problems.Add(DashboardAccesses.Names.Problem(Dashboard, "server.dashboard")!);
        return problems;
    }
}

/// <summary>How the server weighs members' updates; see <see cref="ServerSection.ClientWeight"/>.</summary>
public enum ClientWeightPolicy
{
    Samples,
    Equal,
}

public static class ClientWeights
{
    public static NamedValues<ClientWeightPolicy> Names { get; } = new(("samples", ClientWeightPolicy.Samples), ("equal", ClientWeightPolicy.Equal));
}

/// <summary>One member of the federation. Tokens are stored as SHA-256 hex so the config file holds no secret.</summary>
public sealed record ClientEntry
{
    public string Name { get; init; } = "";
    public string? TokenSha256 { get; init; }
    /// <summary>A plaintext token (test federations only; prefer token_sha256).</summary>
    public string? Token { get; init; }
    public bool Revoked { get; init; }
}
