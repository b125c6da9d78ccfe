using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Grpc.Core;

namespace FedLlm.Transport.Server;

/// <summary>
/// Who may take part: a caller is known by its bearer token (compared by SHA-256, in constant time) or, with mTLS,
/// by the common name of a client certificate the TLS layer already verified against the federation's CA.
/// </summary>
public sealed class ClientRegistry(IReadOnlyList<ClientEntry> clients)
{
    public const string AuthorizationHeader = "authorization";

    public IReadOnlyList<string> Names { get; } = [.. clients.Select(c => c.Name)];

    public static string HashToken(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    /// <summary>The caller's client id; throws Unauthenticated/PermissionDenied with a reason for anyone else.</summary>
    public int Authenticate(ServerCallContext context)
    {
        string? token = BearerToken(context.RequestHeaders.GetValue(AuthorizationHeader));
        int id = Identify(token, context.GetHttpContext().Connection.ClientCertificate);
        if (id < 0)
            throw new RpcException(new Status(StatusCode.Unauthenticated,
                token is null ? "no client token or client certificate was presented" : "unknown client token"));
        if (clients[id].Revoked)
            throw new RpcException(new Status(StatusCode.PermissionDenied, $"client '{clients[id].Name}' has been revoked"));
        return id;
    }

    /// <summary>The member a token or (already verified) client certificate belongs to, or -1; revoked members are still found.</summary>
    public int Identify(string? token, X509Certificate2? certificate)
    {
        int id = token is not null ? FindByToken(token) : -1;
        if (id < 0 && certificate is not null) id = FindByName(certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false));
        return id;
    }

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
