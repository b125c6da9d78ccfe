namespace FedLlm.Training.Privacy;

/// <summary>
/// Sample-level DP-SGD settings (Abadi et al. 2016). Each step Poisson-samples the local data with rate q, clips every
/// example's gradient (over all LoRA tensors jointly) to <see cref="MaxGradNorm"/>, sums, adds N(0, (σC)²) and divides
/// by the expected batch size qN.
/// </summary>
public sealed record DpSgdOptions
{
    /// <summary>σ: noise std divided by the clipping norm.</summary>
    public double NoiseMultiplier { get; init; } = 1.0;

    /// <summary>C: per-example L2 bound on the gradient of all trainable LoRA tensors together.</summary>
    public double MaxGradNorm { get; init; } = 1.0;

    /// <summary>q, the Poisson sampling rate. When null, <see cref="ExpectedBatchSize"/> / N decides.</summary>
    public double? SampleRate { get; init; }

    /// <summary>Expected examples per step qN; when both this and <see cref="SampleRate"/> are null the trainer's examples per step is used.</summary>
    public int? ExpectedBatchSize { get; init; }

    /// <summary>
    /// Draw batches and noise from AES-CTR streams seeded by the trainer seed instead of the OS CSPRNG, so a run repeats
    /// bit for bit. Anyone who knows the seed can then regenerate the noise: for tests and experiments only.
    /// </summary>
    public bool ReproducibleRandomness { get; init; }

    /// <summary>q for a dataset of <paramref name="datasetSize"/> examples (capped at 1).</summary>
    public double ResolveSampleRate(int datasetSize, int examplesPerStep)
    {
        if (datasetSize <= 0) throw new ArgumentException($"DP-SGD needs a non-empty dataset, got {datasetSize} examples");
        double q = SampleRate ?? (double)(ExpectedBatchSize ?? examplesPerStep) / datasetSize;
        return Math.Min(1.0, q);
    }

    public void Validate()
    {
        if (!double.IsFinite(NoiseMultiplier) || NoiseMultiplier < 0)
            throw new ArgumentException($"DP-SGD noise multiplier must be finite and >= 0, got {NoiseMultiplier}");
        if (!double.IsFinite(MaxGradNorm) || MaxGradNorm <= 0)
            throw new ArgumentException($"DP-SGD max grad norm (clipping bound C) must be finite and > 0, got {MaxGradNorm}");
        if (SampleRate is double q && !(q > 0 && q <= 1))
            throw new ArgumentException($"DP-SGD sample rate must be in (0, 1], got {q}");
        if (ExpectedBatchSize is <= 0)
            throw new ArgumentException($"DP-SGD expected batch size must be positive, got {ExpectedBatchSize}");
    }
}
