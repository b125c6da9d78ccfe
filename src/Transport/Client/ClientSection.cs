namespace FedLlm.Transport.Client;

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
    /// <summary>Deliberately corrupt updates (none|nan|wrong_shape): for testing a federation's defences only.</summary>
    public string CorruptUpdates { get; init; } = "none";
    /// <summary>
    /// Encrypted runs, optional pin: the key holder's key-exchange fingerprint (its log prints it), compared out of band.
    /// A key share sealed by any other key is refused, so even a server that substitutes keys cannot plant its own.
    /// </summary>
    public string? KeyHolderFingerprint { get; init; }

    /// <summary><see cref="WireFormat"/> as the protocol's enum; null when it names none.</summary>
    public Protocol.WireFormat? ParsedWireFormat => WireFormat.ToLowerInvariant() switch
    {
        "float32" or "fp32" => Protocol.WireFormat.Float32,
        "bfloat16" or "bf16" => Protocol.WireFormat.Bfloat16,
        "float16" or "fp16" => Protocol.WireFormat.Float16,
        _ => null,
    };

    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (CorruptUpdates is not ("none" or "nan" or "wrong_shape"))
            problems.Add($"client.corrupt_updates must be none, nan or wrong_shape, got '{CorruptUpdates}'");
        if (ParsedWireFormat is null)
            problems.Add($"client.wire_format must be float32, bfloat16 or float16, got '{WireFormat}'");
        return problems;
    }

    public string? ReadToken()
    {
        if (!string.IsNullOrEmpty(Token)) return Token;
        if (string.IsNullOrEmpty(TokenFile)) return null;
        if (!File.Exists(TokenFile)) throw new FileNotFoundException($"client.token_file {TokenFile} does not exist", TokenFile);
        return File.ReadAllText(TokenFile).Trim();
    }
}
