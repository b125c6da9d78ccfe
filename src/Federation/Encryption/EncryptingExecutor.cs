using FedLlm.Federation.Engine;
using FedLlm.Federation.Strategies;

namespace FedLlm.Federation.Encryption;

/// <summary>
/// Client side of a simulated encrypted run: the server's task carries no plaintext weights, so each client starts
/// from the members' global (identical for every member because all apply the same aggregates), trains through the
/// inner executor, and answers with only the ciphertext.
/// </summary>
public sealed class EncryptingExecutor(IClientExecutor inner, EncryptedUpdateClient client, Func<float[]> membersGlobal) : IClientExecutor
{
    public async Task<ClientResult> ExecuteAsync(ClientTask task, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(task);
        float[] start = membersGlobal();
        ClientResult result = await inner.ExecuteAsync(task with { Weights = start }, cancellation).ConfigureAwait(false);
        if (result.Update.Extras.Count != 0)
        {
            throw new InvalidOperationException($"client {task.ClientId} produced algorithm extras ({string.Join(", ", result.Update.Extras.Keys)}), which encrypted aggregation cannot carry");
        }
        byte[] payload = client.EncryptUpdate(task.ClientId, task.Round, start, result.Update.Weights);
        return result with { Update = new ClientUpdate(result.Update.ClientId, result.Update.SampleCount, []) { EncryptedPayload = payload } };
    }
}
