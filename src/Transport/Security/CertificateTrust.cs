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
}
