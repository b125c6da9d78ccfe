namespace FedLlm.Federation.Splits;

/// <summary>The client structure of a FedLLM-Bench file, without its records.</summary>
public sealed class FedLlmBenchIndex
{
    public FedLlmBenchIndex(IReadOnlyList<FedLlmBenchClient> clients)
    {
        ArgumentNullException.ThrowIfNull(clients);
        Clients = clients;
        RecordCount = clients.Sum(c => c.RecordCount);
    }

    public IReadOnlyList<FedLlmBenchClient> Clients { get; }

    public int RecordCount { get; }

    /// <summary>The file's natural split: client k owns its records' global indices, named by the file's keys.</summary>
    public ClientSplit ToSplit() =>
        new(
            SplitMethods.FedLlmBench,
            RecordCount,
            Clients.Select(c => Enumerable.Range(c.FirstRecord, c.RecordCount)),
            seed: null,
            Clients.Select(c => c.Id).ToList());
}
