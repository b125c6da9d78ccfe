namespace FedLlm.Privacy.Mechanisms;

/// <summary>
/// Reproducible Gaussian noise for tests and experiments: Box–Muller over <see cref="SeededRandomSource"/>
/// (AES-256-CTR keyed by SHA-256 of the seed). Same seed, same sequence (the uniform stream is bit-identical
/// everywhere; the last bit of a sample may differ between math libraries' log/sin/cos).
/// </summary>
public sealed class SeededGaussianSource : BoxMullerGaussianSource, IDisposable
{
    private readonly SeededRandomSource _random;

    public SeededGaussianSource(ulong seed) : this(new SeededRandomSource(seed))
    {
    }

    private SeededGaussianSource(SeededRandomSource random) : base(random) => _random = random;

    public void Dispose() => _random.Dispose();
}
