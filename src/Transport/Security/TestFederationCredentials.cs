using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using FedLlm.Transport.Server;

namespace FedLlm.Transport.Security;

/// <summary>
/// Makes the credentials of a small federation: a private CA, a server certificate for the given host names and
/// addresses, a client certificate (CN = client name) and a random bearer token per client, all as PEM/text files,
/// plus the <c>server.clients</c> YAML that lists the members by token hash.
/// </summary>
public static class TestFederationCredentials
{
    public sealed record Files(string Directory, string CaCertificate, string ServerCertificate, string ServerKey, IReadOnlyDictionary<string, string> TokenFiles);

    public static Files Create(string directory, IReadOnlyList<string> serverNames, IReadOnlyList<string> clientNames, TimeSpan validity)
    {
        if (serverNames.Count == 0) throw new ArgumentException("give at least one server host name or IP address");
        if (clientNames.Count == 0) throw new ArgumentException("give at least one client name");
        if (clientNames.Any(n => n.Length == 0 || n.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))))
            throw new ArgumentException("client names may use letters, digits, '-', '_' and '.' only");
        Directory.CreateDirectory(directory);
        var notBefore = DateTimeOffset.UtcNow.AddMinutes(-5);
        var notAfter = notBefore + validity;

        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=FedLlm federation CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        using var ca = caRequest.CreateSelfSigned(notBefore, notAfter);
        string caFile = Write(directory, "ca.pem", ca.ExportCertificatePem());
        Write(directory, "ca-key.pem", caKey.ExportPkcs8PrivateKeyPem());

        var serverNamesExtension = new SubjectAlternativeNameBuilder();
        foreach (string name in serverNames)
        {
            if (IPAddress.TryParse(name, out var address)) serverNamesExtension.AddIpAddress(address);
            else serverNamesExtension.AddDnsName(name);
        }
        var (serverCert, serverKey) = Issue(ca, caKey, "server", $"CN={serverNames[0]}", serverNamesExtension.Build(), "1.3.6.1.5.5.7.3.1", notBefore, notAfter, directory);

        var tokens = new Dictionary<string, string>(StringComparer.Ordinal);
        var yaml = new StringBuilder("# Paste under `server:` in the server's config. Tokens stay with their clients.\nclients:\n");
        foreach (string client in clientNames)
        {
            Issue(ca, caKey, $"client-{client}", $"CN={client}", null, "1.3.6.1.5.5.7.3.2", notBefore, notAfter, directory);
            string token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
            tokens[client] = Write(directory, $"client-{client}.token", token + "\n");
            yaml.Append("  - name: ").Append(client).Append("\n    token_sha256: ").Append(ClientRegistry.HashToken(token)).Append('\n');
        }
        Write(directory, "server-clients.yaml", yaml.ToString());
        return new Files(Path.GetFullPath(directory), caFile, serverCert, serverKey, tokens);
    }

    private static (string Certificate, string Key) Issue(X509Certificate2 ca, ECDsa caKey, string fileStem, string subject,
        X509Extension? alternativeNames, string extendedUsage, DateTimeOffset notBefore, DateTimeOffset notAfter, string directory)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(extendedUsage)], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        if (alternativeNames is not null) request.CertificateExtensions.Add(alternativeNames);
        byte[] serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        using var certificate = request.Create(ca.SubjectName, X509SignatureGenerator.CreateForECDsa(caKey), notBefore, notAfter, serial);
        return (Write(directory, fileStem + ".pem", certificate.ExportCertificatePem()),
                Write(directory, fileStem + "-key.pem", key.ExportPkcs8PrivateKeyPem()));
    }

    private static string Write(string directory, string name, string text)
    {
        string path = Path.Combine(directory, name);
        File.WriteAllText(path, text);
        // Keys and tokens are secrets: owner-only on Unix.
        if (!OperatingSystem.IsWindows() && (name.EndsWith("-key.pem", StringComparison.Ordinal) || name.EndsWith(".token", StringComparison.Ordinal)))
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return Path.GetFullPath(path);
    }
}
