using FedLlm.Federation.Engine;
using FedLlm.Federation.Strategies;
using FedLlm.Transport.Protocol;
using FedLlm.Transport.Wire;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace FedLlm.Transport.Server;

/// <summary>What the service tells joining clients about the run.</summary>
public sealed record RunDescription(string RunName, long ParameterCount, string LayoutDigest, int TotalRounds);

/// <summary>
/// The gRPC face of the server: authenticates every call, streams tasks out and results in, and hands them to the
/// <see cref="RemoteClientExecutor"/> that the round engine drives. It knows nothing about strategies.
/// </summary>
public sealed class FederationService(
    RunDescription run,
    ClientRegistry registry,
    RemoteClientExecutor executor,
    RunStateDatabase database,
    WireCounters counters,
    TaskEncoder encoder,
    ServerSection settings,
    ILogger<FederationService> logger) : Protocol.Federation.FederationBase
{
    public const uint ProtocolVersion = 1;
    public const string WeightsVector = "weights";

    public override Task<JoinReply> Join(JoinRequest request, ServerCallContext context)
    {
        int id = Authenticate(context);
        if (request.ProtocolVersion != ProtocolVersion)
            throw Refuse(id, StatusCode.FailedPrecondition, $"protocol version {request.ProtocolVersion} is not supported (server speaks {ProtocolVersion})");
        encoder.SetFormat(id, request.WireFormat);
        database.ClientJoined(id, registry.Names[id]);
        executor.MarkJoined(id);
        logger.LogInformation("client {Name} (id {Id}) joined from {Peer}", registry.Names[id], id, context.Peer);
        return Task.FromResult(new JoinReply
        {
            ClientId = id,
            ClientName = registry.Names[id],
            RunName = run.RunName,
            ParameterCount = run.ParameterCount,
            LayoutDigest = run.LayoutDigest,
            TotalRounds = run.TotalRounds,
            WireFormat = request.WireFormat,
        });
    }

    public override async Task FetchTask(FetchTaskRequest request, IServerStreamWriter<TaskMessage> responseStream, ServerCallContext context)
    {
        int id = Authenticate(context);
        database.ClientSeen(id);
        var next = await executor.WaitForTaskAsync(id, context.CancellationToken);
        if (next is not var (task, deadline))
        {
            await responseStream.WriteAsync(new TaskMessage { Finished = new RunFinished { Rounds = run.TotalRounds } });
            return;
        }
        var vectors = encoder.Encode(id, task);
        var header = new TaskHeader
        {
            Round = task.Round,
            ClientId = id,
            LearningRate = task.Plan.LearningRate,
            ProximalMu = task.Plan.ProximalMu,
            DeadlineUnixMs = deadline.ToUnixTimeMilliseconds(),
        };
        header.Vectors.AddRange(vectors.Infos);
        var headerMessage = new TaskMessage { Header = header };
        await responseStream.WriteAsync(headerMessage);
        counters.AddDown(headerMessage.CalculateSize());
        foreach (var chunk in vectors.Chunks)
        {
            var message = new TaskMessage { Chunk = chunk };
            await responseStream.WriteAsync(message);
            counters.AddDown(message.CalculateSize());
        }
    }

    public override async Task<SubmitReply> SubmitResult(IAsyncStreamReader<ResultMessage> requestStream, ServerCallContext context)
    {
        int id = Authenticate(context);
        string name = registry.Names[id];
        if (!await requestStream.MoveNext(context.CancellationToken) || requestStream.Current.BodyCase != ResultMessage.BodyOneofCase.Header)
            return Reject(id, "the result stream must start with a header");
        var header = requestStream.Current.Header;
        counters.AddUp(requestStream.Current.CalculateSize());
        if (header.ClientId != id) return Reject(id, $"result claims to be from client {header.ClientId}");

        Dictionary<string, float[]> vectors;
        try
        {
            var assembler = new VectorAssembler(header.Vectors, settings.MaxVectorValues);
            while (await requestStream.MoveNext(context.CancellationToken))
            {
                if (requestStream.Current.BodyCase != ResultMessage.BodyOneofCase.Chunk) throw new InvalidDataException("a second header in one result");
                assembler.Add(requestStream.Current.Chunk);
                counters.AddUp(requestStream.Current.CalculateSize());
            }
            vectors = assembler.Complete();
        }
        catch (InvalidDataException e)
        {
            return Reject(id, $"malformed update: {e.Message}");
        }
        if (!vectors.Remove(WeightsVector, out float[]? weights)) return Reject(id, "the update has no 'weights' vector");

        var metrics = header.Metrics ?? new ClientMetrics();
        var result = new ClientResult(new ClientUpdate(id, header.SampleCount, weights, vectors),
            new ClientTrainingMetrics(metrics.TrainLoss, metrics.Steps, metrics.Examples, metrics.Tokens, metrics.Seconds));
        var (delivered, problem) = executor.Complete(id, header.Round, result);
        if (!delivered) return Reject(id, problem!);
        // The round records and logs a rejected update itself; the client hears the same reason here.
        if (problem is not null) return new SubmitReply { Accepted = false, Reason = problem };
        database.Event("accepted", name, $"round {header.Round + 1}: update accepted (loss {metrics.TrainLoss:F4})");
        logger.LogInformation("round {Round}: update from {Name} accepted", header.Round + 1, name);
        return new SubmitReply { Accepted = true };
    }

    private SubmitReply Reject(int id, string reason)
    {
        database.Event("rejected", registry.Names[id], reason);
        logger.LogWarning("update from {Name} rejected: {Reason}", registry.Names[id], reason);
        return new SubmitReply { Accepted = false, Reason = reason };
    }

    private int Authenticate(ServerCallContext context)
    {
        try
        {
            return registry.Authenticate(context);
        }
        catch (RpcException refused)
        {
            database.Event("refused", null, $"{context.Peer}: {refused.Status.Detail}");
            logger.LogWarning("refused a call from {Peer}: {Reason}", context.Peer, refused.Status.Detail);
            throw;
        }
    }

    private RpcException Refuse(int id, StatusCode code, string reason)
    {
        database.Event("refused", registry.Names[id], reason);
        logger.LogWarning("refused {Name}: {Reason}", registry.Names[id], reason);
        return new RpcException(new Status(code, reason));
    }
}

/// <summary>Protocol message bytes sent and received (before TLS and HTTP/2 framing), read and reset once per round.</summary>
public sealed class WireCounters
{
    private long _down, _up;

    public void AddDown(long bytes) => Interlocked.Add(ref _down, bytes);

    public void AddUp(long bytes) => Interlocked.Add(ref _up, bytes);

    public (long Down, long Up) TakeAndReset() => (Interlocked.Exchange(ref _down, 0), Interlocked.Exchange(ref _up, 0));
}
