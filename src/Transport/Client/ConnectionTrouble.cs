using System.Net.Http;
using System.Security.Authentication;
using Grpc.Core;

namespace FedLlm.Transport.Client;

/// <summary>
/// Tells set-up mistakes from network weather. A certificate the other side does not accept, TLS against plaintext or
/// the reverse never heal by retrying, so the member stops at once with one line saying which side is wrong and what to
/// check; a refused or dropped connection (a server restarting) is retried.
/// </summary>
public static class ConnectionTrouble
{
    /// <summary>The one-line diagnosis when <paramref name="e"/> is a set-up mistake; null when a retry may cure it.</summary>
    public static string? Fatal(RpcException e, string address, bool insecure)
    {
        ArgumentNullException.ThrowIfNull(e);
        var chain = Chain(e.Status.DebugException).ToList();
        if (chain.OfType<AuthenticationException>().FirstOrDefault() is { } tls)
        {
            string message = tls.Message;
            if (message.Contains("RemoteCertificateValidationCallback", StringComparison.Ordinal) || message.Contains("remote certificate", StringComparison.OrdinalIgnoreCase))
                return $"this client does not trust the certificate of {address}: check that client.ca is the federation's CA (from `fedllm certs`) and that the address names the host in the server's certificate";
            if (message.Contains("alert", StringComparison.OrdinalIgnoreCase))
                return $"{address} refused this client's TLS handshake: its client certificate (client.certificate) must chain to the server's client_ca, or the server wants one and none was given";
            if (message.Contains("frame", StringComparison.OrdinalIgnoreCase))
                return $"{address} does not answer TLS: the server is plaintext (insecure); use an http:// address with --insecure, on a trusted network only";
            return $"TLS handshake with {address} failed: {message}";
        }
        if (insecure && chain.OfType<HttpRequestException>().Any(h => h.HttpRequestError is HttpRequestError.HttpProtocolError or HttpRequestError.InvalidResponse))
            return $"{address} did not answer plaintext HTTP/2: the server expects TLS; use its https:// address with client.ca (and drop --insecure)";
        return null;
    }

    private static IEnumerable<Exception> Chain(Exception? e)
    {
        for (; e is not null; e = e.InnerException) yield return e;
    }
}
