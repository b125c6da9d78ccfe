using System.Collections.Concurrent;
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

    public EncodedVectors Encode(int clientId, MemberTask work)
    {
        var task = work.Task;
        var format = _formats.GetValueOrDefault(clientId, WireFormat.Float32);
        // An evaluation needs only the weights; a plan's algorithm vectors (SCAFFOLD's c) are for training.
        var planVectors = work.Kind == TaskKind.Train ? task.Plan.Vectors : new Dictionary<string, float[]>();
        lock (_gate)
        {
            if (_last is var (weights, plan, lastFormat, encoded)
                && ReferenceEquals(weights, task.Weights) && ReferenceEquals(plan, planVectors) && lastFormat == format)
                return encoded;
        }
        // An encrypted run's task (and a base-model evaluation) has no weights: the member uses its own global or none.
        var fresh = task.Weights.Length == 0
            ? VectorCodec.EncodeExtras(planVectors)
            : VectorCodec.Encode(ProtocolConstants.WeightsVector, task.Weights, planVectors, format);
        lock (_gate) _last = (task.Weights, planVectors, format, fresh);
        return fresh;
    }
}
