using FedLlm.Encryption.Keys;
using FedLlm.Foundation.Configuration;

namespace FedLlm.Transport.Client;

/// <summary>A deliberate corruption of a member's updates (testing a federation's defences only).</summary>
public enum UpdateCorruption
{
    None,
    Nan,
    WrongShape,
    Outsized,
    InflatedCount,
}

/// <summary>The <c>client:</c> section of a deployment config (YAML keys are the snake_case names).</summary>
public sealed record ClientSection
{
    /// <summary>Server address, e.g. https://server.example.org:50051 (also <c>--server</c>).</summary>
    public string? Server { get; init; }
    /// <summary>This client's secret token; prefer <see cref="TokenFile"/> so it stays out of the config.</summary>
    public string? Token { get; init; }
    public string? TokenFile { get; init; }
    /// <summary>CA certificate (PEM) the server's certificate must chain to.</summary>
    public string? Ca { get; init; }
    /// <summary>Client certificate and key (PEM) for mTLS.</summary>
    public string? Certificate { get; init; }
    public string? Key { get; init; }
    /// <summary>Plaintext HTTP/2 (only with an insecure server).</summary>
    public bool Insecure { get; init; }
    /// <summary>Folder for this client's own state (SCAFFOLD c_i, logs); never leaves the machine.</summary>
    public string StateDirectory { get; init; } = "client-state";
    /// <summary>Longest pause between reconnection attempts, in seconds (backoff doubles from 0.5 s).</summary>
    public double MaxBackoffSeconds { get; init; } = 10;
    /// <summary>Give up after this many seconds without reaching the server (0 = never).</summary>
    public double GiveUpAfterSeconds { get; init; } = 600;
    /// <summary>Wire format for updates: float32 (exact), bfloat16 or float16 (half the bytes).</summary>
    public string WireFormat { get; init; } = "float32";
    /// <summary>
    /// Deliberately corrupt updates, for testing a federation's defences only: none, nan, wrong_shape, outsized (the
    /// update's step from the task's weights made 1000 times longer) or inflated_count (a sample count of a million).
    /// </summary>
    public string CorruptUpdates { get; init; } = "none";
    /// <summary>
    /// Encrypted runs, optional pin: the key holder's full key-exchange fingerprint (<c>--print-fingerprint</c> on the
    /// key holder), compared out of band. A key share sealed by any other key is refused, so even a server that
    /// substitutes keys cannot plant its own.
    /// </summary>
    public string? KeyHolderFingerprint { get; init; }
    /// <summary>
    /// Encrypted runs, the key holder: a file of members' key-exchange fingerprints collected out of band (one line each,
    /// <c>&lt;client id or name&gt; &lt;fingerprint&gt;</c>). The HE key is sealed only to relayed keys pinned there.
    /// </summary>
    public string? MemberFingerprintsFile { get; init; }
    /// <summary>
    /// Encrypted runs, the key holder without <see cref="MemberFingerprintsFile"/>: seal the HE key to whatever member keys
    /// the server relays. Off by default (a key holder without pins refuses to act): a server that substitutes its own
    /// key could then decrypt every update.
    /// </summary>
    public bool TrustServerRelayedKeys { get; init; }

    public static NamedValues<Protocol.WireFormat> WireFormats { get; } = new(
        ("float32", Protocol.WireFormat.Float32), ("bfloat16", Protocol.WireFormat.Bfloat16), ("float16", Protocol.WireFormat.Float16),
        ("fp32", Protocol.WireFormat.Float32), ("bf16", Protocol.WireFormat.Bfloat16), ("fp16", Protocol.WireFormat.Float16));

    public static NamedValues<UpdateCorruption> Corruptions { get; } = new(
        ("none", UpdateCorruption.None), ("nan", UpdateCorruption.Nan), ("wrong_shape", UpdateCorruption.WrongShape),
        ("outsized", UpdateCorruption.Outsized), ("inflated_count", UpdateCorruption.InflatedCount));

    /// <summary><see cref="WireFormat"/> as the protocol's enum; null when it names none.</summary>
    public Protocol.WireFormat? ParsedWireFormat => WireFormats.TryParse(WireFormat, out var format) ? format : null;

    /// <summary><see cref="CorruptUpdates"/>, parsed (call after <see cref="Validate"/>).</summary>
    public UpdateCorruption Corruption => Corruptions.Parse(CorruptUpdates, "client.corrupt_updates");

    /// <summary>The section's values, as any command that reads the file checks them (the address may still come as --server).</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (Corruptions.Problem(CorruptUpdates, "client.corrupt_updates") is { } corruption) problems.Add(corruption);
        if (WireFormats.Problem(WireFormat, "client.wire_format") is { } format) problems.Add(format);
        if (!string.IsNullOrWhiteSpace(Server) && AddressProblem(Server) is { } address) problems.Add(address);
        if ((Certificate is null) != (Key is null)) problems.Add("client.certificate and client.key go together: give both for mTLS, or neither");
        if (!string.IsNullOrWhiteSpace(KeyHolderFingerprint) && KeyFingerprint.Problem(KeyHolderFingerprint.Trim()) is { } holder)
            problems.Add($"client.key_holder_fingerprint {holder}");
        if (!string.IsNullOrEmpty(MemberFingerprintsFile) && TrustServerRelayedKeys)
            problems.Add("client.member_fingerprints_file and client.trust_server_relayed_keys contradict each other: pin the members' keys, or trust the server's relay, not both");
        return problems;
    }

    private string? AddressProblem(string server)
    {
        if (!Uri.TryCreate(server, UriKind.Absolute, out var address) || address.Scheme is not ("http" or "https"))
            return $"client.server '{server}' is not an http:// or https:// address";
        if (address.Scheme == "http" && !Insecure)
            return $"client.server is {server}: plaintext would send this client's token in the clear; use https:// (with client.ca), or set insecure: true (--insecure) on a trusted network only";
        if (address.Scheme == "https" && Insecure)
            return $"client.server is {server} but insecure is set: use an http:// address for a plaintext server, or drop insecure";
        return null;
    }

    /// <summary><see cref="Validate"/>, and what a member needs before it connects: the server's address and its credential files.</summary>
    public IReadOnlyList<string> ValidateForJoining()
    {
        var problems = Validate().ToList();
        if (string.IsNullOrWhiteSpace(Server))
            problems.Add("client.server (or --server) is required: the server's address, e.g. https://server.example.org:50051");
        if (!string.IsNullOrEmpty(TokenFile) && string.IsNullOrEmpty(Token) && !File.Exists(TokenFile))
            problems.Add($"client.token_file {TokenFile} does not exist");
        foreach (var (key, file) in new[] { ("client.ca", Ca), ("client.certificate", Certificate), ("client.key", Key) })
            if (!string.IsNullOrEmpty(file) && !File.Exists(file)) problems.Add($"{key} {file} does not exist");
        if (!string.IsNullOrEmpty(MemberFingerprintsFile) && MemberFingerprintsProblem() is { } pins) problems.Add(pins);
        return problems;
    }

    /// <summary>The encryption key pins this section sets (call after <see cref="ValidateForJoining"/>).</summary>
    public KeyPins Pins() => new(
        string.IsNullOrWhiteSpace(KeyHolderFingerprint) ? null : KeyFingerprint.Normalize(KeyHolderFingerprint),
        string.IsNullOrEmpty(MemberFingerprintsFile) ? null : MemberFingerprints.Read(MemberFingerprintsFile),
        TrustServerRelayedKeys);

    private string? MemberFingerprintsProblem()
    {
        if (!File.Exists(MemberFingerprintsFile)) return $"client.member_fingerprints_file {MemberFingerprintsFile} does not exist";
        try
        {
            MemberFingerprints.Read(MemberFingerprintsFile!);
            return null;
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            return $"client.member_fingerprints_file {e.Message}";
        }
    }

    public string? ReadToken()
    {
        if (!string.IsNullOrEmpty(Token)) return Token;
        if (string.IsNullOrEmpty(TokenFile)) return null;
        if (!File.Exists(TokenFile)) throw new FileNotFoundException($"client.token_file {TokenFile} does not exist", TokenFile);
        return File.ReadAllText(TokenFile).Trim();
    }
}
