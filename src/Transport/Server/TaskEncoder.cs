using System.Collections.Concurrent;
using FedLlm.Federation.Engine;
using FedLlm.Transport.Protocol;
using FedLlm.Transport.Wire;

namespace FedLlm.Transport.Server;

/// <summary>
/// Encodes tasks for the wire in each client's chosen format. gRPC services are created per call, so the formats
/// clients ask for at join live here, in a singleton. Every client of a round gets the same global and plan, so the
/// encoding (and its SHA-256) is made once per round and format and shared.
/// </summary>
public sealed class TaskEncoder
{
    private readonly ConcurrentDictionary<int, WireFormat> _formats = new();
    private readonly object _gate = new();
    private (float[] Weights, IReadOnlyDictionary<string, float[]> Plan, WireFormat Format, EncodedVectors Encoded)? _last;

    public void SetFormat(int clientId, WireFormat format) => _formats[clientId] = format;

    public EncodedVectors Encode(int clientId, ClientTask task)
    {
        var format = _formats.GetValueOrDefault(clientId, WireFormat.Float32);
        lock (_gate)
        {
            if (_last is var (weights, plan, lastFormat, encoded)
                && ReferenceEquals(weights, task.Weights) && ReferenceEquals(plan, task.Plan.Vectors) && lastFormat == format)
                return encoded;
        }
        // An encrypted run's task has no weights: the member trains from its own global.
        var fresh = task.Weights.Length == 0
            ? VectorCodec.EncodeExtras(task.Plan.Vectors)
            : VectorCodec.Encode(FederationService.WeightsVector, task.Weights, task.Plan.Vectors, format);
        lock (_gate) _last = (task.Weights, task.Plan.Vectors, format, fresh);
        return fresh;
    }
}
