namespace FedLlm.Privacy.Mechanisms;

/// <summary>Production Gaussian noise: Box–Muller over the operating-system CSPRNG.</summary>
public sealed class CryptoGaussianSource() : BoxMullerGaussianSource(new CryptoRandomSource());
