namespace FedLlm.Federation.Engine;

/// <summary>A client whose result did not count this round, and why (both the server log and the client see the reason).</summary>
public sealed record RejectedClient(int ClientId, string Reason);

/// <summary>Everything one round produced.</summary>
public sealed record RoundOutcome(
    int Round,
    float[] Global,
    IReadOnlyList<int> Sampled,
    IReadOnlyList<ClientResult> Accepted,
    IReadOnlyList<RejectedClient> Rejected,
    double UpdateNorm,
    long BytesDown,
    long BytesUp,
    double Seconds)
{
    /// <summary>With an <see cref="IOpaqueUpdateAggregator"/>: the aggregate to broadcast (null when the round did not aggregate); <see cref="Global"/> is then unchanged.</summary>
    public byte[]? AggregatePayload { get; init; }

    /// <summary>False when too few results arrived (below min_clients) or nothing is aggregated (local-only): the global is unchanged.</summary>
    public bool Aggregated { get; init; }
}
