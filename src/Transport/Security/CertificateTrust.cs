using System.Security.Cryptography.X509Certificates;

namespace FedLlm.Transport.Security;

/// <summary>Chain checks against the federation's own CA, not the machine's trust store.</summary>
public static class CertificateTrust
{
    public static bool ChainsTo(X509Certificate2? presented, X509Certificate2 ca)
    {
        if (presented is null) return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        // A private test federation has no CRL endpoint; revocation is handled by the server's client list instead.
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(presented);
    }

    /// <summary>Loads a PEM certificate (with its key when given), naming the files when they do not fit.</summary>
    public static X509Certificate2 Load(string certificatePath, string? keyPath = null)
    {
        if (!File.Exists(certificatePath)) throw new FileNotFoundException($"{certificatePath}: certificate file does not exist", certificatePath);
        if (keyPath is not null && !File.Exists(keyPath)) throw new FileNotFoundException($"{keyPath}: key file does not exist", keyPath);
        try
        {
            return keyPath is null
                ? X509CertificateLoader.LoadCertificateFromFile(certificatePath)
                : X509Certificate2.CreateFromPemFile(certificatePath, keyPath);
        }
        catch (System.Security.Cryptography.CryptographicException e)
        {
            string what = keyPath is null ? certificatePath : $"{certificatePath} with key {keyPath}";
            throw new InvalidDataException($"{what}: not a usable PEM certificate ({e.Message})", e);
        }
    }
}
