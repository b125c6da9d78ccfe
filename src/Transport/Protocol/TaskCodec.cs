using FedLlm.Federation.Client;
using FedLlm.Federation.Engine;
using FedLlm.Federation.Strategies;
using FedLlm.Transport.Wire;

namespace FedLlm.Transport.Protocol;

/// <summary>
/// The one translation between the run's objects and the wire: tasks (with their round plan) to <see cref="TaskHeader"/>
/// and back, answers to <see cref="ResultHeader"/> and back. Server and client both use it, so a field is written and
/// read in one place.
/// </summary>
public static class TaskCodec
{
    public static TaskHeader Header(MemberTask work, DateTimeOffset deadline, EncodedVectors vectors)
    {
        var task = work.Task;
        var header = new TaskHeader
        {
            Round = task.Round,
            ClientId = task.ClientId,
            LearningRate = task.Plan.LearningRate,
            ProximalMu = task.Plan.ProximalMu,
            DeadlineUnixMs = deadline.ToUnixTimeMilliseconds(),
            Kind = work.Kind,
            EvaluateBase = work.EvaluateBase,
        };
        if (task.Plan.ClientNoise is { } noise)
            header.ClientNoise = new ClientNoise { ClipNorm = noise.ClipNorm, NoiseMultiplier = noise.NoiseMultiplier, ClientsPerRound = noise.ClientsPerRound };
        header.Vectors.AddRange(vectors.Infos);
        return header;
    }

    /// <param name="ownGlobal">An encrypted run's member global, which the task's weights stand for; null in a plaintext run.</param>
    public static MemberTask ReadTask(TaskHeader header, ReceivedVectors vectors, float[]? ownGlobal)
    {
        float[] weights;
        if (ownGlobal is not null) weights = ownGlobal;
        else if (header.Kind == TaskKind.Evaluate && header.EvaluateBase) weights = [];
        else if (!vectors.Values.Remove(ProtocolConstants.WeightsVector, out weights!)) throw new InvalidDataException("the task has no weights");
        var plan = new RoundPlan(header.Round, header.LearningRate)
        {
            ProximalMu = header.ProximalMu,
            Vectors = vectors.Values,
            ClientNoise = header.ClientNoise is { } n ? new ClientNoisePlan(n.ClipNorm, n.NoiseMultiplier, n.ClientsPerRound) : null,
        };
        return new MemberTask(header.Kind, new ClientTask(header.Round, header.ClientId, weights, plan), header.EvaluateBase);
    }

    public static ResultHeader Trained(ClientTask task, ClientResult result, EncodedVectors vectors)
    {
        var metrics = result.Metrics;
        var header = new ResultHeader
        {
            Kind = TaskKind.Train,
            Round = task.Round,
            ClientId = result.Update.ClientId,
            SampleCount = result.Update.SampleCount,
            Metrics = new ClientMetrics { TrainLoss = metrics.TrainLoss, Steps = metrics.Steps, Examples = metrics.Examples, Tokens = metrics.Tokens, Seconds = metrics.Seconds },
        };
        if (metrics.Privacy is { } p)
            header.Privacy = new ClientPrivacy { Epsilon = p.Epsilon, Delta = p.Delta, NoiseMultiplier = p.NoiseMultiplier, SampleRate = p.SampleRate, TotalSteps = p.TotalSteps };
        header.Vectors.AddRange(vectors.Infos);
        return header;
    }

    public static ResultHeader Evaluated(ClientTask task, ClientScore score) => new()
    {
        Kind = TaskKind.Evaluate,
        Round = task.Round,
        ClientId = task.ClientId,
        Evaluation = new EvaluationScore { Loss = score.Loss, Accuracy = score.Accuracy, Examples = score.Examples },
    };

    public static ResultHeader Failed(MemberTask work, string reason) => new()
    {
        Kind = work.Kind,
        Round = work.Task.Round,
        ClientId = work.Task.ClientId,
        Failure = reason,
    };

    /// <summary>The answer a result stands for, or the reason its vectors do not fit the run (plaintext or encrypted).</summary>
    public static (MemberAnswer? Answer, string? Problem) ReadAnswer(int clientId, ResultHeader header, ReceivedVectors received, bool encrypted)
    {
        if (header.Failure.Length > 0) return (new MemberAnswer.Failed(header.Failure), null);
        if (header.Kind == TaskKind.Evaluate)
        {
            var e = header.Evaluation ?? new EvaluationScore();
            return (new MemberAnswer.Evaluated(new ClientScore(clientId, e.Loss, e.Accuracy, e.Examples)), null);
        }
        ClientUpdate update;
        if (encrypted)
        {
            if (received.Values.Count != 0 || received.Opaque.Count != 1 || !received.Opaque.TryGetValue(ProtocolConstants.CiphertextVector, out byte[]? ciphertext))
                return (null, $"the run is encrypted: an update must be exactly one opaque '{ProtocolConstants.CiphertextVector}' vector");
            update = new ClientUpdate(clientId, header.SampleCount, []) { EncryptedPayload = ciphertext };
        }
        else
        {
            if (received.Opaque.Count != 0 || !received.Values.Remove(ProtocolConstants.WeightsVector, out float[]? weights))
                return (null, $"the update has no '{ProtocolConstants.WeightsVector}' vector (or carries opaque data in a plaintext run)");
            update = new ClientUpdate(clientId, header.SampleCount, weights, received.Values);
        }
        var m = header.Metrics ?? new ClientMetrics();
        var p = header.Privacy;
        var metrics = new ClientTrainingMetrics(m.TrainLoss, m.Steps, m.Examples, m.Tokens, m.Seconds,
            p is null ? null : new ClientPrivacyReport(p.Epsilon, p.Delta, p.NoiseMultiplier, p.SampleRate, p.TotalSteps));
        return (new MemberAnswer.Trained(new ClientResult(update, metrics)), null);
    }
}
