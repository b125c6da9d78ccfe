using FedLlm.Training.Examples;

namespace FedLlm.Federation.Client;

/// <summary>One client's private data, tokenized for the run's method. It never leaves the client; only its size does.</summary>
public sealed record ClientData(int ClientId, TokenizedData Train, TokenizedData HeldOut)
{
    /// <summary>n_i, the client's full local dataset size that FedAvg weights by.</summary>
    public long SampleCount => Train.Count;
}
