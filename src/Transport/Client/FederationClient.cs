using FedLlm.Federation.Client;
using FedLlm.Federation.Engine;
using FedLlm.Federation.Strategies;
using FedLlm.Models.Lora;
using FedLlm.Transport.Protocol;
using FedLlm.Transport.Wire;
using Grpc.Core;

namespace FedLlm.Transport.Client;

/// <summary>
/// A federation member: joins the server, then repeatedly fetches its next task, does its <see cref="MemberWork"/>
/// (training, or scoring a model on its held-out data) and answers. Only weights, counts, training metrics and scores
/// leave the machine. Lost connections are retried with exponential backoff; refusals are final.
/// </summary>
public sealed class FederationClient(ClientSection section, ParameterLayout layout, IMemberWork work, Action<string> log)
{
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(500);

    /// <summary>A task's vectors (weights, plan vectors, encrypted aggregates) are at most the adapter's length.</summary>
    private readonly VectorAllowance _fromServer = new(layout.TotalLength);

    /// <summary>Set for an encrypted run: key custody, the member's own global, and encryption of its updates.</summary>
    public MemberEncryption? Encryption { get; init; }

    /// <summary>Encrypted runs: receives the final global when the run is over (only members ever hold it).</summary>
    public Action<float[]>? SaveFinalGlobal { get; init; }

    /// <summary>Runs until the server says the run is over; returns the number of rounds whose update the server accepted.</summary>
    /// <exception cref="MemberRefusedException">The server refused this member, or it cannot take part: final, one line.</exception>
    public async Task<int> RunAsync(CancellationToken cancellation = default)
    {
        if (section.ValidateForJoining() is { Count: > 0 } problems) throw new ArgumentException("invalid client config: " + string.Join("; ", problems));
        // What can be checked before contacting anyone is checked first: a member that cannot train never joins.
        if (work.ProblemBeforeJoin() is { } unusable) throw new MemberRefusedException($"this client cannot take part: {unusable}");
        var format = section.ParsedWireFormat!.Value; // validated above
        using var connection = new ServerConnection(section);
        var keys = Encryption is null ? null : new KeyExchange(connection, Encryption, log);

        int trainedRounds = 0;
        var backoff = FirstBackoff;
        using var stopKeyService = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        Task? keyService = null;
        // When the current run of failed attempts began: a long wait inside FetchTask is contact, not silence.
        DateTimeOffset? failingSince = null;

        try
        {
            while (true)
            {
                cancellation.ThrowIfCancellationRequested();
                try
                {
                    var join = await JoinAsync(connection, format, cancellation);
                    if (Encryption is not null)
                    {
                        if (Encryption.IsKeyHolder) keyService ??= Task.Run(() => keys!.ServeAsync(stopKeyService.Token), CancellationToken.None);
                        else if (!Encryption.HasKey && !await ReceiveKeyAsync(connection, keys!, join, cancellation))
                        {
                            log("the run ended before the key holder shared the encryption key; this member took no part");
                            return trainedRounds;
                        }
                    }
                    backoff = FirstBackoff;
                    failingSince = null;
                    var renewEvery = TimeSpan.FromSeconds(Math.Max(0.2, join.LeaseSeconds / 3));
                    while (true)
                    {
                        var next = await FetchAsync(connection, join.ClientId, cancellation);
                        if (next is null)
                        {
                            if (Encryption is not null) SaveFinalGlobal?.Invoke(Encryption.Global);
                            log($"the run is over; trained {trainedRounds} round(s)");
                            return trainedRounds;
                        }
                        var answer = await WorkWithLeaseAsync(connection, next, renewEvery, cancellation);
                        var reply = await SubmitAsync(connection, next, Corrupt(answer, next.Task), format, cancellation);
                        if (next.Kind == TaskKind.Train && answer is MemberAnswer.Trained && reply.Accepted) trainedRounds++;
                        log(Describe(next, answer, reply));
                    }
                }
                catch (RpcException) when (cancellation.IsCancellationRequested)
                {
                    throw new OperationCanceledException("interrupted", cancellation);
                }
                catch (RpcException e) when (ConnectionTrouble.Fatal(e, connection.Address, section.Insecure) is { } fatal)
                {
                    throw new MemberRefusedException(fatal, e);
                }
                catch (RpcException e) when (ServerConnection.IsTransient(e.StatusCode))
                {
                    failingSince ??= DateTimeOffset.UtcNow;
                    if (section.GiveUpAfterSeconds > 0 && DateTimeOffset.UtcNow - failingSince > TimeSpan.FromSeconds(section.GiveUpAfterSeconds))
                        throw new IOException($"gave up: no contact with {connection.Address} for {section.GiveUpAfterSeconds:0} s ({e.Status.Detail})", e);
                    log($"connection to {connection.Address} lost ({e.StatusCode}: {e.Status.Detail}); retrying in {backoff.TotalSeconds:0.#} s");
                    await Task.Delay(backoff, cancellation);
                    backoff = TimeSpan.FromSeconds(Math.Min(section.MaxBackoffSeconds, backoff.TotalSeconds * 2));
                }
                catch (RpcException e)
                {
                    throw new MemberRefusedException($"the server refused this client: {e.Status.Detail} ({e.StatusCode})", e);
                }
            }
        }
        finally
        {
            await stopKeyService.CancelAsync();
            if (keyService is not null)
            {
                await keyService.ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
                if (keyService.Exception is { } failure) log($"key holder: key sharing failed: {failure.GetBaseException().Message}");
            }
        }
    }

    /// <summary>
    /// Does the task while renewing the lease, so the server knows this member is alive however long it trains. A task
    /// that throws becomes a failed answer: the round goes on without this member instead of waiting for it.
    /// </summary>
    private async Task<MemberAnswer> WorkWithLeaseAsync(ServerConnection connection, MemberTask next, TimeSpan renewEvery, CancellationToken cancellation)
    {
        using var stopRenewing = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        var renewing = RenewLeaseAsync(connection, renewEvery, stopRenewing.Token);
        try
        {
            return await Task.Run(() => work.Run(next, cancellation), cancellation);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return new MemberAnswer.Failed($"the client failed: {e.GetBaseException().Message}");
        }
        finally
        {
            await stopRenewing.CancelAsync();
            await renewing;
        }
    }

    private static async Task RenewLeaseAsync(ServerConnection connection, TimeSpan every, CancellationToken stop)
    {
        try
        {
            while (true)
            {
                await Task.Delay(every, stop);
                try
                {
                    await connection.Client.RenewLeaseAsync(new LeaseRequest(), connection.Headers, cancellationToken: stop);
                }
                catch (RpcException) when (!stop.IsCancellationRequested)
                {
                    // Connection trouble is the submit's to report; keep trying while the work goes on.
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (RpcException)
        {
        }
    }

    private async Task<JoinReply> JoinAsync(ServerConnection connection, WireFormat format, CancellationToken cancellation)
    {
        var request = new JoinRequest
        {
            ProtocolVersion = ProtocolConstants.Version, WireFormat = format, RecordCount = work.RecordCount,
            ParameterCount = layout.TotalLength, LayoutDigest = LayoutDigest.Of(layout),
        };
        if (Encryption is not null)
        {
            request.KeyExchangePublicKey = Google.Protobuf.ByteString.CopyFrom(Encryption.Identity.PublicKey);
            request.EncryptionDigest = Encryption.Digest;
            request.KeyCheck = Google.Protobuf.ByteString.CopyFrom(Encryption.KeyCheck);
        }
        var join = await connection.Client.JoinAsync(request, connection.Headers, cancellationToken: cancellation);
        connection.UseSession(join.Session);
        try
        {
            work.Joined(join);
            Encryption?.Joined(join);
        }
        catch (InvalidOperationException e)
        {
            throw await LeaveAsync(connection, e, cancellation);
        }
        return join;
    }

    /// <summary>A member waits for its share of the key; a refusal by the key holder ends its part in the run.</summary>
    private static async Task<bool> ReceiveKeyAsync(ServerConnection connection, KeyExchange keys, JoinReply join, CancellationToken cancellation)
    {
        try
        {
            return await keys.ReceiveAsync(join, cancellation);
        }
        catch (InvalidOperationException e)
        {
            throw await LeaveAsync(connection, e, cancellation);
        }
    }

    /// <summary>Tells the server at once that this member cannot take part, so no round waits for it; returns the exception to end with.</summary>
    private static async Task<MemberRefusedException> LeaveAsync(ServerConnection connection, InvalidOperationException reason, CancellationToken cancellation)
    {
        try
        {
            await connection.Client.LeaveAsync(new LeaveRequest { Reason = reason.Message }, connection.Headers, cancellationToken: cancellation);
        }
        catch (RpcException)
        {
            // The lease lapses anyway.
        }
        return new MemberRefusedException($"this client cannot take part: {reason.Message}", reason);
    }

    private async Task<MemberTask?> FetchAsync(ServerConnection connection, int clientId, CancellationToken cancellation)
    {
        var request = new FetchTaskRequest { ClientId = clientId };
        if (Encryption?.RoundsApplied is int applied) request.RoundsApplied = applied;
        using var call = connection.Client.FetchTask(request, connection.Headers, cancellationToken: cancellation);
        TaskHeader? header = null;
        VectorAssembler? assembler = null;
        CatchUpHeader? catchUp = null;
        while (await call.ResponseStream.MoveNext(cancellation))
        {
            var message = call.ResponseStream.Current;
            switch (message.BodyCase)
            {
                case TaskMessage.BodyOneofCase.Finished:
                    FinishCatchUp();
                    return null;
                case TaskMessage.BodyOneofCase.CatchUp:
                    catchUp = message.CatchUp;
                    assembler = new VectorAssembler(catchUp.Vectors, _fromServer);
                    break;
                case TaskMessage.BodyOneofCase.Header:
                    FinishCatchUp();
                    header = message.Header;
                    assembler = new VectorAssembler(header.Vectors, _fromServer);
                    break;
                case TaskMessage.BodyOneofCase.Chunk:
                    (assembler ?? throw new InvalidDataException("task chunk before its header")).Add(message.Chunk);
                    break;
            }
        }
        if (header is null || assembler is null) throw new RpcException(new Status(StatusCode.Unavailable, "the task stream ended before a task arrived"));
        float[]? ownGlobal = null;
        if (Encryption is not null && !(header.Kind == TaskKind.Evaluate && header.EvaluateBase))
        {
            // The member works from its own decrypted global, which the catch-up just brought up to date.
            int expected = header.Round + (header.Kind == TaskKind.Evaluate ? 1 : 0);
            if (Encryption.RoundsApplied != expected)
                throw new InvalidDataException($"round {header.Round + 1} task, but this member's global includes {Encryption.RoundsApplied} round(s)");
            ownGlobal = Encryption.Global;
        }
        return TaskCodec.ReadTask(header, assembler.Complete(), ownGlobal);

        void FinishCatchUp()
        {
            if (catchUp is null) return;
            (Encryption ?? throw new InvalidDataException("the server sent encrypted aggregates, but this client has encryption off")).CatchUp(catchUp, assembler!.Complete());
            catchUp = null;
        }
    }

    private async Task<SubmitReply> SubmitAsync(ServerConnection connection, MemberTask work, MemberAnswer answer, WireFormat format, CancellationToken cancellation)
    {
        var (header, vectors) = answer switch
        {
            MemberAnswer.Trained trained => Encode(work.Task, trained.Result, format),
            MemberAnswer.Evaluated evaluated => (TaskCodec.Evaluated(work.Task, evaluated.Score), null),
            MemberAnswer.Failed failed => (TaskCodec.Failed(work, failed.Reason), null),
            _ => throw new InvalidOperationException($"unknown answer {answer.GetType().Name}"),
        };
        using var call = connection.Client.SubmitResult(connection.Headers, cancellationToken: cancellation);
        try
        {
            await call.RequestStream.WriteAsync(new ResultMessage { Header = header }, cancellation);
            foreach (var chunk in vectors?.Chunks ?? []) await call.RequestStream.WriteAsync(new ResultMessage { Chunk = chunk }, cancellation);
            await call.RequestStream.CompleteAsync();
        }
        catch (Exception e) when (e is RpcException { StatusCode: StatusCode.OK } || (e is InvalidOperationException && call.ResponseAsync.IsCompleted))
        {
            // The server answered before reading every chunk (it refused the update from its header): its reply says why.
        }
        return await call;
    }

    /// <summary>An update's header and vectors: plaintext weights (and extras), or under encryption only the ciphertext of Δ.</summary>
    private (ResultHeader, EncodedVectors) Encode(ClientTask task, ClientResult result, WireFormat format)
    {
        var update = result.Update;
        EncodedVectors vectors;
        if (Encryption is null)
        {
            vectors = VectorCodec.Encode(ProtocolConstants.WeightsVector, update.Weights, update.Extras, format);
        }
        else
        {
            if (update.Extras.Count != 0)
                throw new InvalidOperationException($"the local trainer produced algorithm vectors ({string.Join(", ", update.Extras.Keys)}), which encrypted aggregation cannot carry");
            var builder = new EncodedVectorsBuilder();
            builder.AddOpaque(ProtocolConstants.CiphertextVector, CorruptCiphertext(Encryption.EncryptUpdate(task.Round, task.Weights, update.Weights)));
            vectors = builder.Build();
        }
        return (TaskCodec.Trained(task, result, vectors), vectors);
    }

    private static string Describe(MemberTask work, MemberAnswer answer, SubmitReply reply) => answer switch
    {
        MemberAnswer.Failed failed => $"round {work.Task.Round + 1}: could not {(work.Kind == TaskKind.Train ? "train" : "evaluate")}: {failed.Reason}",
        MemberAnswer.Evaluated evaluated => $"evaluation after round {work.Task.Round + 1}: held-out loss {evaluated.Score.Loss:F4} over {evaluated.Score.Examples} examples",
        MemberAnswer.Trained trained => reply.Accepted
            ? $"round {work.Task.Round + 1}: update accepted (train loss {trained.Result.Metrics.TrainLoss:F4})"
            : $"round {work.Task.Round + 1}: update rejected by the server: {reply.Reason}",
        _ => "",
    };

    /// <summary>Test hook for a federation's defences: NaNs, a vector of the wrong length, an outsized step, an inflated sample count.</summary>
    private MemberAnswer Corrupt(MemberAnswer answer, ClientTask task)
    {
        if (Encryption is not null || answer is not MemberAnswer.Trained { Result: var result }) return answer; // ciphertexts are corrupted after encryption
        var update = result.Update;
        float[] weights = section.Corruption switch
        {
            UpdateCorruption.Nan => [.. update.Weights.Select((w, i) => i % 7 == 0 ? float.NaN : w)],
            UpdateCorruption.WrongShape => update.Weights[..^1],
            UpdateCorruption.Outsized => [.. update.Weights.Select((w, i) => task.Weights[i] + 1000 * (w - task.Weights[i]))],
            _ => update.Weights,
        };
        long samples = section.Corruption == UpdateCorruption.InflatedCount ? 1_000_000 : update.SampleCount;
        return ReferenceEquals(weights, update.Weights) && samples == update.SampleCount ? answer
            : new MemberAnswer.Trained(result with { Update = new ClientUpdate(update.ClientId, samples, weights, update.Extras) });
    }

    private byte[] CorruptCiphertext(byte[] ciphertext) => section.Corruption switch
    {
        UpdateCorruption.Nan => [.. "XXXX"u8, .. ciphertext.AsSpan(4)], // a damaged header
        UpdateCorruption.WrongShape => ciphertext[..^1],
        _ => ciphertext,
    };
}

/// <summary>The server refused this member, or the member cannot take part: retrying cannot help.</summary>
public sealed class MemberRefusedException(string message, Exception? inner = null) : InvalidOperationException(message, inner);
