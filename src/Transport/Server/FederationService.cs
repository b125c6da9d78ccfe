using FedLlm.Federation.Encryption;
using FedLlm.Encryption.Keys;
using FedLlm.Federation.Engine;
using FedLlm.Federation.Strategies;
using FedLlm.Transport.Protocol;
using FedLlm.Transport.Wire;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace FedLlm.Transport.Server;

/// <summary>What the service tells joining clients about the run, and which vectors a training answer may carry.</summary>
public sealed record RunDescription(string RunName, long ParameterCount, string LayoutDigest, int TotalRounds, int FederationSize,
    IReadOnlySet<string> UpdateVectors);

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
    ServerEncryption encryption,
    MemberRoster roster,
    MemberPresence presence,
    ILogger<FederationService> logger) : Protocol.Federation.FederationBase
{
    /// <summary>Longest a key-relay long-poll waits before answering "nothing yet".</summary>
    private static readonly TimeSpan KeyPollWait = TimeSpan.FromSeconds(20);

    public override Task<JoinReply> Join(JoinRequest request, ServerCallContext context)
    {
        int id = Authenticate(context);
        if (request.ProtocolVersion != ProtocolConstants.Version)
            throw Refuse(id, StatusCode.FailedPrecondition, $"protocol version {request.ProtocolVersion} is not supported (server speaks {ProtocolConstants.Version})");
        if (request.ParameterCount != run.ParameterCount || request.LayoutDigest != run.LayoutDigest)
            throw Refuse(id, StatusCode.FailedPrecondition, $"this client's LoRA layout ({request.ParameterCount} values) differs from the run's " +
                $"({run.ParameterCount} values): use the same model and lora settings as the server");
        if (request.RecordCount < 1) throw Refuse(id, StatusCode.FailedPrecondition, "the client holds no records");
        if (CheckEncryption(id, request) is { } mismatch) throw Refuse(id, StatusCode.FailedPrecondition, mismatch);
        encoder.SetFormat(id, request.WireFormat);
        string session = presence.Join(id, context.Peer);
        executor.Wake(id); // a replaced session's waiting FetchTask learns it was replaced
        database.ClientJoined(id, registry.Names[id]);
        database.Event("joined", registry.Names[id], $"from {context.Peer} with {request.RecordCount} record(s)");
        roster.Joined(id, request.RecordCount);
        executor.MarkJoined(id);
        logger.LogInformation("client {Name} (id {Id}) joined from {Peer}", registry.Names[id], id, context.Peer);
        return Task.FromResult(new JoinReply
        {
            Session = session,
            LeaseSeconds = presence.Lease.TotalSeconds,
            ClientId = id,
            ClientName = registry.Names[id],
            RunName = run.RunName,
            ParameterCount = run.ParameterCount,
            LayoutDigest = run.LayoutDigest,
            TotalRounds = run.TotalRounds,
            FederationSize = run.FederationSize,
            WireFormat = request.WireFormat,
            Encryption = encryption.Enabled
                ? new EncryptionInfo
                {
                    Digest = encryption.Setup!.Digest, KeyHolderId = encryption.KeyHolderId, KeyHolderName = encryption.KeyHolderName,
                    RunId = encryption.RequireStore().RunId,
                    KeyCheck = Google.Protobuf.ByteString.CopyFrom(encryption.RequireStore().KeyCheck),
                }
                : null,
        });
    }

    /// <summary>Why the member's encryption settings do not fit the run (null when they do); registers its public key.</summary>
    private string? CheckEncryption(int id, JoinRequest request)
    {
        bool memberEncrypts = request.EncryptionDigest.Length > 0;
        if (!encryption.Enabled)
            return memberEncrypts ? "this client has encryption enabled but the run is not encrypted; use the server's encryption settings" : null;
        if (!memberEncrypts) return "the run aggregates encrypted updates: set encryption.enabled (with the server's encryption settings) in the client config";
        if (request.EncryptionDigest != encryption.Setup!.Digest)
            return $"encryption settings differ from the server's (digest {request.EncryptionDigest} vs {encryption.Setup.Digest}): use the same encryption section and seed";
        if (KeyExchangeIdentity.Problem(request.KeyExchangePublicKey.Span) is { } badKey) return $"key-exchange public key refused: {badKey}";
        if (!request.KeyCheck.IsEmpty && encryption.RequireStore().KeyCheck.Length > 0 && !request.KeyCheck.Span.SequenceEqual(encryption.RequireStore().KeyCheck))
            return "this member holds a different encryption key than the run's (from another run, or a replaced key): give it a fresh state_directory";
        encryption.Relay.Register(id, registry.Names[id], request.KeyExchangePublicKey.ToByteArray());
        return null;
    }

    public override async Task FetchTask(FetchTaskRequest request, IServerStreamWriter<TaskMessage> responseStream, ServerCallContext context)
    {
        int id = Authenticate(context);
        string? session = SessionOf(context);
        using var open = presence.Open(id, session);
        database.ClientSeen(id);
        var next = await executor.WaitForTaskAsync(id, () => presence.Touch(id, session), context.CancellationToken);
        if (encryption.Enabled)
        {
            // A training task of round r needs the aggregates of rounds before r; an evaluation after round r, those up to r.
            int target = next is var (pending, _) ? Math.Max(0, pending.Task.Round + (pending.Kind == TaskKind.Evaluate && !pending.EvaluateBase ? 1 : 0)) : encryption.RequireStore().CompletedRounds;
            await SendCatchUpAsync(id, request, target, responseStream);
        }
        if (next is not var (work, deadline))
        {
            await WriteAsync(responseStream, new TaskMessage { Finished = new RunFinished { Rounds = run.TotalRounds } });
            return;
        }
        var vectors = encoder.Encode(id, work);
        await WriteAsync(responseStream, new TaskMessage { Header = TaskCodec.Header(work, deadline, vectors) });
        foreach (var chunk in vectors.Chunks) await WriteAsync(responseStream, new TaskMessage { Chunk = chunk });
    }

    /// <summary>
    /// Encryption: the member keeps its own plaintext global, so before a task (or the finish) it gets what brings that
    /// global to <paramref name="target"/> rounds: the public initial adapter if it has none, then every encrypted
    /// aggregate it has not applied.
    /// </summary>
    private async Task SendCatchUpAsync(int id, FetchTaskRequest request, int target, IServerStreamWriter<TaskMessage> responseStream)
    {
        int from = request.HasRoundsApplied ? request.RoundsApplied : 0;
        if (from > target)
        {
            throw Refuse(id, StatusCode.FailedPrecondition,
                $"this member's global includes {from} round(s) but the server has finished only {target}: its state folder belongs to another run; give it a fresh state_directory");
        }
        var builder = new EncodedVectorsBuilder();
        if (!request.HasRoundsApplied) builder.Add(ProtocolConstants.InitialVector, encryption.InitialGlobal, WireFormat.Float32);
        try
        {
            foreach (var (round, aggregate) in encryption.RequireStore().Between(from, target))
                builder.AddOpaque(ProtocolConstants.AggregatePrefix + round.ToString(System.Globalization.CultureInfo.InvariantCulture), aggregate);
        }
        catch (InvalidDataException e)
        {
            throw Refuse(id, StatusCode.DataLoss, e.Message);
        }
        var vectors = builder.Build();
        var header = new CatchUpHeader { RoundsApplied = target };
        header.Vectors.AddRange(vectors.Infos);
        await WriteAsync(responseStream, new TaskMessage { CatchUp = header });
        foreach (var chunk in vectors.Chunks) await WriteAsync(responseStream, new TaskMessage { Chunk = chunk });
    }

    private async Task WriteAsync(IServerStreamWriter<TaskMessage> stream, TaskMessage message)
    {
        await stream.WriteAsync(message);
        counters.AddDown(message.CalculateSize());
    }

    public override async Task<KeyRequests> FetchKeyRequests(KeyRequestsQuery request, ServerCallContext context)
    {
        int id = AuthenticateKeyHolder(context);
        using var open = presence.Open(id, SessionOf(context));
        database.ClientSeen(id);
        var (requests, finished) = await encryption.Relay.WaitForRequestsAsync(id, KeyPollWait, context.CancellationToken);
        var reply = new KeyRequests { RunFinished = finished };
        reply.Requests.AddRange(requests.Select(r => new KeyRequest
        {
            ClientId = r.ClientId, ClientName = r.Name, PublicKey = Google.Protobuf.ByteString.CopyFrom(r.PublicKey),
        }));
        return reply;
    }

    public override Task<KeySharesReply> PostKeyShares(KeyShares request, ServerCallContext context)
    {
        int id = AuthenticateKeyHolder(context);
        presence.Touch(id, SessionOf(context));
        if (request.KeyCheck.IsEmpty) throw Refuse(id, StatusCode.InvalidArgument, "key shares must come with the key's check value");
        if (!encryption.RequireStore().TryRecordKeyCheck(request.KeyCheck.ToByteArray()))
            throw Refuse(id, StatusCode.FailedPrecondition, "the key holder's encryption key differs from the one it announced earlier in this run; restore its state_directory");
        foreach (var refused in request.Shares.Where(s => s.Refused))
        {
            // Only a registered member's current key can be refused, so the id names a member.
            if (!encryption.Relay.Refuse(refused.ClientId, refused.PublicKey.ToByteArray())) continue;
            string name = registry.Names[refused.ClientId];
            string fingerprint = KeyFingerprint.Of(refused.PublicKey.Span);
            database.Event("key-refused", name, $"{registry.Names[id]} refused to seal the key to key-exchange fingerprint {fingerprint}: not pinned for {name}");
            logger.LogWarning("key holder {Holder} refused to seal the encryption key for {Name}: key-exchange fingerprint {Fingerprint} is not pinned for it",
                registry.Names[id], name, fingerprint);
        }
        var kept = encryption.Relay.Post(request.Shares.Where(s => !s.Refused).Select(s => (s.ClientId, s.PublicKey.ToByteArray(), s.Sealed.ToByteArray())));
        foreach (int member in kept) database.Event("key-shared", registry.Names[member], $"{registry.Names[id]} posted a sealed key share");
        if (kept.Count > 0) logger.LogInformation("key holder {Name} posted {Kept} sealed key share(s)", registry.Names[id], kept.Count);
        return Task.FromResult(new KeySharesReply { Accepted = kept.Count });
    }

    public override async Task<KeyShareReply> FetchKeyShare(KeyShareQuery request, ServerCallContext context)
    {
        int id = Authenticate(context);
        if (!encryption.Enabled) throw Refuse(id, StatusCode.FailedPrecondition, "the run is not encrypted; there is no key to share");
        using var open = presence.Open(id, SessionOf(context));
        database.ClientSeen(id);
        var (share, refused, finished) = await encryption.Relay.WaitForShareAsync(id, KeyPollWait, context.CancellationToken);
        return new KeyShareReply
        {
            Sealed = share is null ? Google.Protobuf.ByteString.Empty : Google.Protobuf.ByteString.CopyFrom(share),
            KeyCheck = Google.Protobuf.ByteString.CopyFrom(encryption.RequireStore().KeyCheck),
            RunFinished = finished,
            Refused = refused,
        };
    }

    private int AuthenticateKeyHolder(ServerCallContext context)
    {
        int id = Authenticate(context);
        if (!encryption.Enabled) throw Refuse(id, StatusCode.FailedPrecondition, "the run is not encrypted; there is no key to share");
        if (id != encryption.KeyHolderId)
            throw Refuse(id, StatusCode.PermissionDenied, $"only the key holder ({encryption.KeyHolderName}) distributes the encryption key");
        return id;
    }

    public override Task<LeaseReply> RenewLease(LeaseRequest request, ServerCallContext context)
    {
        int id = Authenticate(context);
        presence.Touch(id, SessionOf(context));
        return Task.FromResult(new LeaseReply());
    }

    public override Task<LeaveReply> Leave(LeaveRequest request, ServerCallContext context)
    {
        int id = Authenticate(context);
        presence.Touch(id, SessionOf(context));
        string reason = string.IsNullOrWhiteSpace(request.Reason) ? "no reason given" : request.Reason.Trim();
        if (reason.Length > 500) reason = reason[..500] + "…";
        presence.Leave(id, reason);
        return Task.FromResult(new LeaveReply());
    }

    public override async Task<SubmitReply> SubmitResult(IAsyncStreamReader<ResultMessage> requestStream, ServerCallContext context)
    {
        int id = Authenticate(context);
        presence.Touch(id, SessionOf(context));
        string name = registry.Names[id];
        if (!await requestStream.MoveNext(context.CancellationToken) || requestStream.Current.BodyCase != ResultMessage.BodyOneofCase.Header)
            return Reject(id, "the result stream must start with a header");
        var header = requestStream.Current.Header;
        counters.AddUp(requestStream.Current.CalculateSize());
        if (header.ClientId != id) return Reject(id, $"result claims to be from client {header.ClientId}");

        ReceivedVectors received;
        try
        {
            var assembler = new VectorAssembler(header.Vectors, AllowanceFor(header));
            while (await requestStream.MoveNext(context.CancellationToken))
            {
                if (requestStream.Current.BodyCase != ResultMessage.BodyOneofCase.Chunk) throw new InvalidDataException("a second header in one result");
                assembler.Add(requestStream.Current.Chunk);
                counters.AddUp(requestStream.Current.CalculateSize());
            }
            received = assembler.Complete();
        }
        catch (InvalidDataException e)
        {
            return RejectTask(id, header, $"malformed update: {e.Message}");
        }
        var (answer, mismatch) = TaskCodec.ReadAnswer(id, header, received, encryption.Enabled);
        if (answer is null) return RejectTask(id, header, mismatch!);
        string? refused = null;
        if (answer is MemberAnswer.Trained trained) (answer, refused) = ApplyWeightPolicy(id, trained);
        var (delivered, problem) = executor.Complete(id, header.Round, header.Kind, answer, refused);
        if (!delivered) return Reject(id, problem!);
        switch (answer)
        {
            case MemberAnswer.Failed failed:
                database.Event("failed", name, $"round {header.Round + 1}: {failed.Reason}");
                logger.LogWarning("round {Round}: {Name} could not do its task: {Reason}", header.Round + 1, name, failed.Reason);
                return new SubmitReply { Accepted = true };
            case MemberAnswer.Evaluated evaluated:
                roster.Evaluated(id, evaluated.Score.Examples);
                return new SubmitReply { Accepted = true };
        }
        // The round records and logs a rejected update itself; the client hears the same reason here.
        if (problem is not null) return new SubmitReply { Accepted = false, Reason = problem };
        roster.Trained(id, header.SampleCount);
        database.Event("accepted", name, $"round {header.Round + 1}: update accepted (loss {header.Metrics?.TrainLoss ?? double.NaN:F4})");
        logger.LogInformation("round {Round}: update from {Name} accepted", header.Round + 1, name);
        return new SubmitReply { Accepted = true };
    }

    /// <summary>The vectors an answer may announce: a training answer's update (and the extras the strategy needs), at the adapter's length; nothing else.</summary>
    private VectorAllowance AllowanceFor(ResultHeader header) =>
        header.Kind == TaskKind.Train && header.Failure.Length == 0
            ? new VectorAllowance(run.ParameterCount, run.UpdateVectors, ExactLength: true)
            : VectorAllowance.None;

    /// <summary>
    /// FedAvg weighs an update by the sample count its member claims; the server bounds the claim by what the member
    /// registered at join and by <c>server.max_sample_count</c>, or weighs every update the same.
    /// </summary>
    private (MemberAnswer Answer, string? Refused) ApplyWeightPolicy(int id, MemberAnswer.Trained trained)
    {
        var update = trained.Result.Update;
        if (settings.ClientWeightPolicy == ClientWeightPolicy.Equal)
            return (new MemberAnswer.Trained(trained.Result with
            {
                Update = new ClientUpdate(update.ClientId, 1, update.Weights, update.Extras) { EncryptedPayload = update.EncryptedPayload },
            }), null);
        if (roster.RegisteredRecords(id) is long registered && update.SampleCount > registered)
            return (trained, $"claims {update.SampleCount} training examples but registered {registered} record(s) at join");
        if (settings.MaxSampleCount > 0 && update.SampleCount > settings.MaxSampleCount)
            return (trained, $"claims {update.SampleCount} training examples, above server.max_sample_count ({settings.MaxSampleCount})");
        return (trained, null);
    }

    /// <summary>Refuses an answer that cannot be read, and fails the task it answered so the round does not wait for it.</summary>
    private SubmitReply RejectTask(int id, ResultHeader header, string reason)
    {
        executor.Complete(id, header.Round, header.Kind, new MemberAnswer.Failed(reason));
        return Reject(id, reason);
    }

    private static string? SessionOf(ServerCallContext context) => context.RequestHeaders.GetValue(ProtocolConstants.SessionHeader);

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
