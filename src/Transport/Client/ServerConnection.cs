using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using FedLlm.Transport.Security;
using FedLlm.Transport.Protocol;
using FedLlm.Transport.Wire;
using Grpc.Core;
using Grpc.Net.Client;

namespace FedLlm.Transport.Client;

/// <summary>
/// A member's channel to the server: TLS with the federation's CA (or plaintext, only when asked for), its credentials
/// (bearer token and/or client certificate) on every call, and which failures count as passing network weather.
/// </summary>
public sealed class ServerConnection : IDisposable
{
    private readonly GrpcChannel _channel;
    private readonly string? _token;

    public ServerConnection(ClientSection section)
    {
        Address = section.Server ?? throw new ArgumentException("client.server (or --server) is required");
        _token = section.ReadToken();
        _channel = GrpcChannel.ForAddress(Address, new GrpcChannelOptions
        {
            HttpHandler = CreateHandler(section),
            MaxReceiveMessageSize = 4 * VectorCodec.ChunkBytes,
        });
        Client = new Protocol.Federation.FederationClient(_channel);
    }

    public string Address { get; }

    public Protocol.Federation.FederationClient Client { get; }

    /// <summary>
    /// Sent with every call: the member's bearer token, when it has one, and its session once it joined. A fresh copy
    /// each time, because the key holder's calls run beside the main loop, which may rejoin (and change the session) meanwhile.
    /// </summary>
    public Metadata Headers
    {
        get
        {
            var headers = new Metadata();
            if (_token is not null) headers.Add(ProtocolConstants.AuthorizationHeader, "Bearer " + _token);
            if (Session is { } session) headers.Add(ProtocolConstants.SessionHeader, session);
            return headers;
        }
    }

    /// <summary>The session of the latest join (null before the first).</summary>
    public string? Session { get; private set; }

    /// <summary>Sends <paramref name="session"/> (from the latest join) with every later call.</summary>
    public void UseSession(string session) => Session = string.IsNullOrEmpty(session) ? null : session;

    /// <summary>Failures that a retry may cure: the server restarting, a dropped connection, a timeout.</summary>
    public static bool IsTransient(StatusCode code) =>
        code is StatusCode.Unavailable or StatusCode.Internal or StatusCode.Unknown or StatusCode.Cancelled or StatusCode.DeadlineExceeded or StatusCode.Aborted;

    public void Dispose() => _channel.Dispose();

    private static SocketsHttpHandler CreateHandler(ClientSection section)
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
