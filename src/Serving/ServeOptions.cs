namespace FedLlm.Serving;

/// <summary>What <c>fedllm serve</c> serves and how much it takes on.</summary>
public sealed record ServeOptions
{
    public required string ModelPath { get; init; }
    /// <summary>PEFT adapters served over the base, each under its own model name.</summary>
    public IReadOnlyList<(string Name, string Path)> Adapters { get; init; } = [];
    /// <summary>The base model's name in requests (default: the model folder's name).</summary>
    public string? ServedModelName { get; init; }
    public string Listen { get; init; } = "http://127.0.0.1:8000";
    public string Template { get; init; } = "auto";
    public string Dtype { get; init; } = "float32";
    /// <summary>Sequences decoded together.</summary>
    public int MaxBatch { get; init; } = 8;
    /// <summary>Requests waiting for a decoding slot; one more is answered 429 at once.</summary>
    public int MaxQueue { get; init; } = 64;
    /// <summary>Positions per sequence (default: the model's max_position_embeddings).</summary>
    public int? Context { get; init; }
    /// <summary>Environment variable holding the API key clients must send as a bearer token (none: no check).</summary>
    public string? ApiKeyEnv { get; init; }
}
