using FedLlm.Federation.Client;
using FedLlm.Federation.Engine;

namespace FedLlm.Federation.Runs;

/// <summary>The simulation's transport: trains the addressed client right here, on the shared base model.</summary>
public sealed class InProcessExecutor(LocalClientTrainer trainer, IReadOnlyDictionary<int, ClientData> clients) : IClientExecutor
{
    public Task<ClientResult> ExecuteAsync(ClientTask task, CancellationToken cancellation)
    {
        if (!clients.TryGetValue(task.ClientId, out var data))
            throw new KeyNotFoundException($"no simulated client with id {task.ClientId}");
        return Task.FromResult(trainer.Train(task, data, cancellation));
    }
}
