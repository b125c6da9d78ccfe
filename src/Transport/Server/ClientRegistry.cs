using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using FedLlm.Transport.Security;
using Grpc.Core;

namespace FedLlm.Transport.Server;

/// <summary>
/// Who may take part: a caller is known by its bearer token (compared by SHA-256, in constant time) or, with mTLS,
/// by the common name of its client certificate. TLS proved the caller holds that certificate's key; whether the
/// certificate chains to the federation's CA (<paramref name="clientCa"/>) is checked here, on every call, so a foreign
/// certificate is refused with a reason instead of a dropped connection.
/// </summary>
public sealed class ClientRegistry(IReadOnlyList<ClientEntry> clients, X509Certificate2? clientCa = null)
{
    public IReadOnlyList<string> Names { get; } = [.. clients.Select(c => c.Name)];

    public static string HashToken(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    /// <summary>The caller's client id; throws Unauthenticated/PermissionDenied with a reason for anyone else.</summary>
    public int Authenticate(ServerCallContext context)
    {
        string? token = BearerToken(context.RequestHeaders.GetValue(Protocol.ProtocolConstants.AuthorizationHeader));
        var certificate = context.GetHttpContext().Connection.ClientCertificate;
        if (certificate is not null && !IsTrusted(certificate))
            throw new RpcException(new Status(StatusCode.Unauthenticated, clientCa is null
                ? "this server does not take client certificates (no client_ca): connect with the member's token only"
                : $"client certificate '{certificate.Subject}' does not chain to this federation's CA (server.client_ca): use the certificate `fedllm certs` made for this member"));
        int id = Identify(token, certificate);
        if (id < 0)
            throw new RpcException(new Status(StatusCode.Unauthenticated,
                token is null ? "no client token or client certificate was presented" : "unknown client token"));
        if (clients[id].Revoked)
            throw new RpcException(new Status(StatusCode.PermissionDenied, $"client '{clients[id].Name}' has been revoked"));
        return id;
    }

    /// <summary>The member a token or a client certificate of the federation's CA belongs to, or -1; revoked members are still found.</summary>
    public int Identify(string? token, X509Certificate2? certificate)
    {
        int id = token is not null ? FindByToken(token) : -1;
        if (id < 0 && certificate is not null && IsTrusted(certificate))
            id = FindByName(certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false));
        return id;
    }

    private bool IsTrusted(X509Certificate2 certificate) => clientCa is not null && CertificateTrust.ChainsTo(certificate, clientCa);

    public bool IsRevoked(int id) => clients[id].Revoked;

    /// <summary>The token of an "Authorization: Bearer …" header, or null.</summary>
    public static string? BearerToken(string? header) =>
        header is not null && header.StartsWith("Bearer ", StringComparison.Ordinal) ? header["Bearer ".Length..].Trim() : null;

    private int FindByToken(string token)
    {
        byte[] presented = Encoding.ASCII.GetBytes(HashToken(token));
        for (int i = 0; i < clients.Count; i++)
        {
            string? expected = clients[i].TokenSha256?.ToLowerInvariant() ?? (clients[i].Token is { } plain ? HashToken(plain) : null);
            if (expected is not null && CryptographicOperations.FixedTimeEquals(presented, Encoding.ASCII.GetBytes(expected))) return i;
        }
        return -1;
    }

    private int FindByName(string commonName)
    {
        for (int i = 0; i < clients.Count; i++)
            if (string.Equals(clients[i].Name, commonName, StringComparison.Ordinal)) return i;
        return -1;
    }
}
