using System.Net.Security;
using FedLlm.Encryption.Keys;
using System.Security.Cryptography.X509Certificates;
using FedLlm.Federation.Encryption;
using FedLlm.Federation.Engine;
using FedLlm.Federation.Strategies;
using FedLlm.Models.Lora;
using FedLlm.Transport.Protocol;
using FedLlm.Transport.Security;
using FedLlm.Transport.Server;
using FedLlm.Transport.Wire;
using Grpc.Core;
using Grpc.Net.Client;

namespace FedLlm.Transport.Client;

/// <summary>
/// A federation member: joins the server, then repeatedly fetches a task, does its <see cref="ILocalWork"/> (for a real
/// member, training on its own data with the simulation's trainer) and pushes the update. Only weights, counts and training
/// metrics leave the machine. Lost connections are retried with exponential backoff; refusals are final.
/// </summary>
public sealed class FederationClient(ClientSection section, ParameterLayout layout, ILocalWork work, Action<string> log)
{
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(500);

    /// <summary>Set for an encrypted run: key custody, the member's own global, and encryption of its updates.</summary>
    public MemberEncryption? Encryption { get; init; }

    /// <summary>Encrypted runs: receives the final global when the run is over (only members ever hold it).</summary>
    public Action<float[]>? SaveFinalGlobal { get; init; }

    /// <summary>Runs until the server says the run is over; returns the number of rounds this client trained.</summary>
    public async Task<int> RunAsync(CancellationToken cancellation = default)
    {
        string server = section.Server ?? throw new ArgumentException("client.server (or --server) is required");
        if (section.Validate() is { Count: > 0 } problems) throw new ArgumentException("invalid client config: " + string.Join("; ", problems));
        string? token = section.ReadToken();
        var format = section.ParsedWireFormat!.Value; // validated above
        using var channel = GrpcChannel.ForAddress(server, new GrpcChannelOptions
        {
            HttpHandler = CreateHandler(),
            MaxReceiveMessageSize = 4 * VectorCodec.ChunkBytes,
        });
        var client = new Protocol.Federation.FederationClient(channel);
        var headers = new Metadata();
        if (token is not null) headers.Add(ClientRegistry.AuthorizationHeader, "Bearer " + token);

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
                    var request = new JoinRequest { ProtocolVersion = FederationService.ProtocolVersion, WireFormat = format };
                    if (Encryption is not null)
                    {
                        request.KeyExchangePublicKey = Google.Protobuf.ByteString.CopyFrom(Encryption.Identity.PublicKey);
                        request.EncryptionDigest = Encryption.Digest;
                        request.KeyCheck = Google.Protobuf.ByteString.CopyFrom(Encryption.KeyCheck);
                    }
                    var join = await client.JoinAsync(request, headers, cancellationToken: cancellation);
                    if (join.ParameterCount != layout.TotalLength || join.LayoutDigest != FederationServer.LayoutDigest(layout))
                        throw new InvalidOperationException($"this client's LoRA layout ({layout.TotalLength} values) differs from the server's " +
                            $"({join.ParameterCount}); use the same model and lora settings as the server");
                    work.Joined(join);
                    if (Encryption is not null)
                    {
                        Encryption.Joined(join);
                        if (Encryption.IsKeyHolder) keyService ??= Task.Run(() => ServeKeyRequestsAsync(client, headers, stopKeyService.Token), CancellationToken.None);
                        else if (!Encryption.HasKey && !await ReceiveKeyAsync(client, headers, join, cancellation))
                        {
                            log("the run ended before the key holder shared the encryption key; this member took no part");
                            return trainedRounds;
                        }
                    }
                    backoff = FirstBackoff;
                    failingSince = null;
                    while (true)
                    {
                        var task = await FetchAsync(client, headers, join.ClientId, cancellation);
                        if (task is null)
                        {
                            if (Encryption is not null) SaveFinalGlobal?.Invoke(Encryption.Global);
                            log($"the run is over; trained {trainedRounds} round(s)");
                            return trainedRounds;
                        }
                        var result = await Task.Run(() => work.Run(task, cancellation), cancellation);
                        var reply = await SubmitAsync(client, headers, task, Corrupt(result), format, cancellation);
                        trainedRounds++;
                        log(reply.Accepted
                            ? $"round {task.Round + 1}: update accepted (train loss {result.Metrics.TrainLoss:F4})"
                            : $"round {task.Round + 1}: update rejected by the server: {reply.Reason}");
                    }
                }
                catch (RpcException e) when (IsTransient(e.StatusCode) && !cancellation.IsCancellationRequested)
                {
                    failingSince ??= DateTimeOffset.UtcNow;
                    if (section.GiveUpAfterSeconds > 0 && DateTimeOffset.UtcNow - failingSince > TimeSpan.FromSeconds(section.GiveUpAfterSeconds))
                        throw new IOException($"gave up: no contact with {server} for {section.GiveUpAfterSeconds:0} s ({e.Status.Detail})", e);
                    log($"connection to {server} lost ({e.StatusCode}: {e.Status.Detail}); retrying in {backoff.TotalSeconds:0.#} s");
                    await Task.Delay(backoff, cancellation);
                    backoff = TimeSpan.FromSeconds(Math.Min(section.MaxBackoffSeconds, backoff.TotalSeconds * 2));
                }
                catch (RpcException e)
                {
                    throw new InvalidOperationException($"the server refused this client: {e.Status.Detail} ({e.StatusCode})", e);
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
    /// Key holder, alongside its training: announces the key's check value, then collects members waiting for the key,
    /// seals it to each member's public key and posts the sealed shares, until the run is over. A member whose public key
    /// cannot be used is skipped (and logged); connection trouble is retried.
    /// </summary>
    private async Task ServeKeyRequestsAsync(Protocol.Federation.FederationClient client, Metadata headers, CancellationToken cancellation)
    {
        var encryption = Encryption!;
        log($"key holder: key-exchange fingerprint {encryption.Identity.Fingerprint}; sharing the encryption key with members as they join");
        var keyCheck = Google.Protobuf.ByteString.CopyFrom(encryption.KeyCheck);
        var sealedShares = new List<KeyShare>();
        while (true)
        {
            try
            {
                // Every post carries the key check value; the first has no shares, so the server records the value
                // before any member can need it.
                var post = new KeyShares { KeyCheck = keyCheck };
                post.Shares.AddRange(sealedShares);
                await client.PostKeySharesAsync(post, headers, cancellationToken: cancellation);
                sealedShares.Clear();
                var requests = await client.FetchKeyRequestsAsync(new KeyRequestsQuery(), headers, cancellationToken: cancellation);
                if (requests.RunFinished) return;
                foreach (var member in requests.Requests)
                {
                    try
                    {
                        sealedShares.Add(new KeyShare
                        {
                            ClientId = member.ClientId,
                            PublicKey = member.PublicKey,
                            Sealed = Google.Protobuf.ByteString.CopyFrom(encryption.SealFor(member.ClientId, member.PublicKey.Span)),
                        });
                        log($"key holder: sealed the encryption key for {member.ClientName} (key-exchange fingerprint {KeyExchangeIdentity.FingerprintOf(member.PublicKey.Span)})");
                    }
                    catch (InvalidDataException e)
                    {
                        log($"key holder: cannot seal the key for {member.ClientName}: {e.Message}");
                    }
                }
            }
            catch (Exception) when (cancellation.IsCancellationRequested)
            {
                return;
            }
            catch (RpcException e) when (IsTransient(e.StatusCode))
            {
                await Task.Delay(FirstBackoff, CancellationToken.None);
            }
            catch (RpcException e)
            {
                log($"key holder: the server refused the key shares: {e.Status.Detail}");
                return;
            }
        }
    }

    /// <summary>
    /// A member other than the key holder waits until the key holder's sealed share arrives, then opens and checks it.
    /// False when the run ended without one.
    /// </summary>
    private async Task<bool> ReceiveKeyAsync(Protocol.Federation.FederationClient client, Metadata headers, JoinReply join, CancellationToken cancellation)
    {
        log($"waiting for key holder {join.Encryption.KeyHolderName} to share the encryption key (this member's key-exchange fingerprint {Encryption!.Identity.Fingerprint})");
        while (true)
        {
            var reply = await client.FetchKeyShareAsync(new KeyShareQuery(), headers, cancellationToken: cancellation);
            if (reply.Sealed.IsEmpty)
            {
                if (reply.RunFinished) return false;
                continue;
            }
            string holder = Encryption.AcceptShare(reply.Sealed.Span, reply.KeyCheck.Span);
            log($"received the encryption key from {join.Encryption.KeyHolderName} (key-exchange fingerprint {holder})");
            return true;
        }
    }

    private static bool IsTransient(StatusCode code) =>
        code is StatusCode.Unavailable or StatusCode.Internal or StatusCode.Unknown or StatusCode.Cancelled or StatusCode.DeadlineExceeded or StatusCode.Aborted;

    private async Task<ClientTask?> FetchAsync(Protocol.Federation.FederationClient client, Metadata headers, int clientId, CancellationToken cancellation)
    {
        var request = new FetchTaskRequest { ClientId = clientId };
        if (Encryption?.RoundsApplied is int applied) request.RoundsApplied = applied;
        using var call = client.FetchTask(request, headers, cancellationToken: cancellation);
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
                    assembler = new VectorAssembler(catchUp.Vectors, long.MaxValue / 64);
                    break;
                case TaskMessage.BodyOneofCase.Header:
                    FinishCatchUp();
                    header = message.Header;
                    assembler = new VectorAssembler(header.Vectors, long.MaxValue / 64);
                    break;
                case TaskMessage.BodyOneofCase.Chunk:
                    (assembler ?? throw new InvalidDataException("task chunk before its header")).Add(message.Chunk);
                    break;
            }
        }
        if (header is null || assembler is null) throw new RpcException(new Status(StatusCode.Unavailable, "the task stream ended before a task arrived"));
        var vectors = assembler.Complete().Values;
        float[] weights;
        if (Encryption is not null)
        {
            // The member trains from its own decrypted global, which the catch-up just brought to this round.
            if (Encryption.RoundsApplied != header.Round)
                throw new InvalidDataException($"round {header.Round + 1} task, but this member's global includes {Encryption.RoundsApplied} round(s)");
            weights = Encryption.Global;
        }
        else if (!vectors.Remove(FederationService.WeightsVector, out weights!)) throw new InvalidDataException("the task has no weights");
        var plan = new RoundPlan(header.Round, header.LearningRate) { ProximalMu = header.ProximalMu, Vectors = vectors };
        return new ClientTask(header.Round, header.ClientId, weights, plan);

        void FinishCatchUp()
        {
            if (catchUp is null) return;
            (Encryption ?? throw new InvalidDataException("the server sent encrypted aggregates, but this client has encryption off")).CatchUp(catchUp, assembler!.Complete());
            catchUp = null;
        }
    }

    private async Task<SubmitReply> SubmitAsync(Protocol.Federation.FederationClient client, Metadata headers, ClientTask task,
        ClientResult result, WireFormat format, CancellationToken cancellation)
    {
        var update = result.Update;
        var vectors = Encryption is null ? VectorCodec.Encode(FederationService.WeightsVector, update.Weights, update.Extras, format) : Encrypt(task, update);
        var metrics = result.Metrics;
        var header = new ResultHeader
        {
            Round = task.Round,
            ClientId = update.ClientId,
            SampleCount = update.SampleCount,
            Metrics = new ClientMetrics { TrainLoss = metrics.TrainLoss, Steps = metrics.Steps, Examples = metrics.Examples, Tokens = metrics.Tokens, Seconds = metrics.Seconds },
        };
        header.Vectors.AddRange(vectors.Infos);
        using var call = client.SubmitResult(headers, cancellationToken: cancellation);
        await call.RequestStream.WriteAsync(new ResultMessage { Header = header }, cancellation);
        foreach (var chunk in vectors.Chunks) await call.RequestStream.WriteAsync(new ResultMessage { Chunk = chunk }, cancellation);
        await call.RequestStream.CompleteAsync();
        return await call;
    }

    /// <summary>Encrypted runs: only the ciphertext of Δ leaves the member (corrupted on request, to test the server's checks).</summary>
    private EncodedVectors Encrypt(ClientTask task, ClientUpdate update)
    {
        if (update.Extras.Count != 0)
            throw new InvalidOperationException($"the local trainer produced algorithm vectors ({string.Join(", ", update.Extras.Keys)}), which encrypted FedAvg cannot carry");
        byte[] ciphertext = Encryption!.EncryptUpdate(task.Round, task.Weights, update.Weights);
        ciphertext = section.CorruptUpdates switch
        {
            "none" => ciphertext,
            "nan" => [.. "XXXX"u8, .. ciphertext.AsSpan(4)], // a damaged header
            _ => ciphertext[..^1], // wrong_shape (ClientSection.Validate admits nothing else)
        };
        var builder = new EncodedVectorsBuilder();
        builder.AddOpaque(FederationService.CiphertextVector, ciphertext);
        return builder.Build();
    }

    /// <summary>Test hook for a federation's defences: send NaNs or a vector of the wrong length.</summary>
    private ClientResult Corrupt(ClientResult result)
    {
        if (Encryption is not null) return result; // corrupted after encryption instead

        float[] weights = section.CorruptUpdates switch
        {
            "none" => result.Update.Weights,
            "nan" => [.. result.Update.Weights.Select((w, i) => i % 7 == 0 ? float.NaN : w)],
            _ => result.Update.Weights[..^1], // wrong_shape (ClientSection.Validate admits nothing else)
        };
        return ReferenceEquals(weights, result.Update.Weights) ? result
            : result with { Update = new ClientUpdate(result.Update.ClientId, result.Update.SampleCount, weights, result.Update.Extras) };
    }

    private SocketsHttpHandler CreateHandler()
    {
        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            KeepAlivePingDelay = TimeSpan.FromSeconds(20),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(20),
            // A FetchTask call waits for the next round, which may take as long as the slowest client trains.
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
        };
        if (section.Insecure) return handler;
        X509Certificate2? ca = section.Ca is null ? null : CertificateTrust.Load(section.Ca);
        handler.SslOptions = new SslClientAuthenticationOptions
        {
            RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                errors == SslPolicyErrors.None
                || (ca is not null && errors == SslPolicyErrors.RemoteCertificateChainErrors
                    && CertificateTrust.ChainsTo(certificate as X509Certificate2 ?? (certificate is null ? null : new X509Certificate2(certificate)), ca)),
        };
        if (section.Certificate is not null && section.Key is not null)
            handler.SslOptions.ClientCertificates = [CertificateTrust.Load(section.Certificate, section.Key)];
        return handler;
    }
}
