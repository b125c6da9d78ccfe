using FedLlm.Training.Examples;

namespace FedLlm.Federation.Client;

/// <summary>One client's private data, already tokenized. It never leaves the client; only its size does.</summary>
public sealed record ClientData(int ClientId, IReadOnlyList<TokenizedExample> Train, IReadOnlyList<TokenizedExample> HeldOut)
{
    /// <summary>n_i, the client's full local dataset size that FedAvg weights by.</summary>
    public long SampleCount => Train.Count;
}
