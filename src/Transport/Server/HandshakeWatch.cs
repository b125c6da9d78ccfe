using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace FedLlm.Transport.Server;

/// <summary>
/// Connection middleware that makes refused handshakes visible: Kestrel drops them with a debug line at most, so an
/// operator would never learn that a member is misconfigured. It peeks at a connection's first byte (a TLS record
/// starts with 0x16, plaintext HTTP/2 with "PRI") without consuming it, and, on a TLS port, notes whether the
/// handshake completed; every refusal is logged (and recorded) with the peer's address.
/// </summary>
public sealed class HandshakeWatch(bool tls, Action<string> refused)
{
    private const byte TlsHandshakeRecord = 0x16;
    private static readonly object HandshakeDone = new();

    /// <summary>Goes before the TLS middleware (or alone on a plaintext port).</summary>
    public ConnectionDelegate Outer(ConnectionDelegate next) => async connection =>
    {
        string peer = connection.RemoteEndPoint?.ToString() ?? "an unknown peer";
        byte? first = await PeekFirstByteAsync(connection);
        if (first is null)
        {
            await next(connection);
            return;
        }
        bool speaksTls = first == TlsHandshakeRecord;
        if (tls && !speaksTls)
            refused($"refused a plaintext connection from {peer}: this server speaks TLS (the client needs an https:// address and the federation's CA)");
        else if (!tls && speaksTls)
            refused($"refused a TLS handshake from {peer}: this server is plaintext (insecure); the client needs an http:// address and --insecure");
        try
        {
            await next(connection);
        }
        finally
        {
            // Kestrel ends a failed handshake by returning or by throwing, depending on where it failed.
            if (tls && speaksTls && !connection.Items.ContainsKey(HandshakeDone))
                refused($"TLS handshake with {peer} failed: the client did not accept this server's certificate (its client.ca must be the federation's CA, and its address must name this host), or broke off");
        }
    };

    /// <summary>
    /// Goes after the TLS middleware: reached only once the handshake succeeded. A .NET client checks the server's
    /// certificate after its side of the handshake is done, so a client that does not trust this server completes the
    /// handshake and then hangs up without a byte of HTTP/2; that silence is what gets reported.
    /// </summary>
    public ConnectionDelegate Inner(ConnectionDelegate next) => async connection =>
    {
        connection.Items[HandshakeDone] = true;
        if (await PeekFirstByteAsync(connection) is null)
        {
            refused($"TLS handshake with {connection.RemoteEndPoint?.ToString() ?? "an unknown peer"} ended without a request: "
                + "the client most likely did not accept this server's certificate (its client.ca must be the federation's CA, and its address must name this host)");
            return;
        }
        await next(connection);
    };

    /// <summary>The first byte the peer sent, left in the pipe for whoever reads next; null when it closed without a byte.</summary>
    private static async Task<byte?> PeekFirstByteAsync(ConnectionContext connection)
    {
        var input = connection.Transport.Input;
        try
        {
            var read = await input.ReadAsync(connection.ConnectionClosed);
            byte? first = read.Buffer.IsEmpty ? null : read.Buffer.FirstSpan[0];
            // Nothing consumed and nothing examined: the next reader gets the same bytes at once.
            input.AdvanceTo(read.Buffer.Start);
            return first;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>A refusal as the server logs and records it.</summary>
    public static Action<string> Reporter(ILogger logger, RunStateDatabase database) => message =>
    {
        logger.LogWarning("{Refusal}", message);
        database.Event("refused-handshake", null, message);
    };
}
