namespace FedLlm.Privacy.Mechanisms;

/// <summary>
/// Poisson sampling: every record joins a batch independently with probability q. This is the sampling the RDP
/// analysis of the sampled Gaussian mechanism assumes (shuffled fixed-size batches are not covered by it).
/// </summary>
public sealed class PoissonSampler
{
    private readonly IRandomSource _random;

    public PoissonSampler(double sampleRate, IRandomSource random)
    {
        if (double.IsNaN(sampleRate) || sampleRate < 0.0 || sampleRate > 1.0)
            throw new ArgumentOutOfRangeException(nameof(sampleRate), sampleRate, "The sampling rate q must be in [0, 1].");
        SampleRate = sampleRate;
        _random = random ?? throw new ArgumentNullException(nameof(random));
    }

    /// <summary>q.</summary>
    public double SampleRate { get; }

    /// <summary>q·N, the divisor for the noisy gradient sum.</summary>
    public double ExpectedBatchSize(int datasetSize) => SampleRate * datasetSize;

    /// <summary>Indices in [0, datasetSize) of one batch, ascending; may be empty.</summary>
    public int[] SampleBatch(int datasetSize)
    {
        if (datasetSize < 0) throw new ArgumentOutOfRangeException(nameof(datasetSize), datasetSize, "The dataset size must be >= 0.");
        var batch = new List<int>((int)Math.Min(datasetSize, Math.Ceiling(SampleRate * datasetSize * 1.5) + 16));
        for (int i = 0; i < datasetSize; i++)
            if (_random.NextUnitInterval() < SampleRate) batch.Add(i);
        return batch.ToArray();
    }
}
