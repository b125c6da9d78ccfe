namespace FedLlm.Privacy.Mechanisms;

/// <summary>Standard normal samples for DP noise. Implementations are not thread-safe.</summary>
public interface IGaussianSource
{
    /// <summary>The next N(0, 1) sample.</summary>
    double NextStandardNormal();
}
