namespace FedLlm.Privacy.Mechanisms;

/// <summary>
/// DP-FedAvg with adaptive clipping (Andrew, Thakkar, McMahan, Ramaswamy 2021, "Differentially private learning
/// with adaptive clipping"). The clipping norm C tracks the γ-quantile of client update norms:
/// each round every client reports b_i = 1[‖Δ_i‖ ≤ C] (update was <em>not</em> clipped), the server forms the noisy
/// fraction b̄ = (Σ b_i + N(0, σ_b²))/m and sets C ← C·exp(−η_C(b̄ − γ)) (geometric update). Too many unclipped
/// updates (b̄ &gt; γ) shrink C; too few grow it.
/// </summary>
/// <remarks>
/// Privacy: the update query (sensitivity C) and the count query (b_i − ½ has sensitivity ½) are released together.
/// Using update noise multiplier z_Δ = (z⁻² − (2σ_b)⁻²)^(−1/2) makes the pair exactly as private as one Gaussian
/// mechanism with multiplier z, so account with z (not z_Δ). Requires z &lt; 2σ_b.
/// Flower's wrapper counts <em>clipped</em> updates yet applies this same formula, so its C moves the wrong way;
/// this class follows the paper. Defaults (paper, also Flower): C₀ = 0.1, γ = 0.5, η_C = 0.2, σ_b = m/20.
/// </remarks>
public sealed class AdaptiveClipping
{
    public const double DefaultInitialClipNorm = 0.1;
    public const double DefaultTargetUnclippedQuantile = 0.5;
    public const double DefaultClipLearningRate = 0.2;

    /// <param name="noiseMultiplier">Overall z (the value to give the accountant).</param>
    /// <param name="clientsPerRound">m, the number of (expected) clients per round; divides the sums.</param>
    /// <param name="initialClipNorm">C₀.</param>
    /// <param name="targetUnclippedQuantile">γ, target fraction of updates left unclipped.</param>
    /// <param name="clipLearningRate">η_C.</param>
    /// <param name="countNoiseStd">σ_b, std of the noise on the unclipped count; default m/20.</param>
    public AdaptiveClipping(double noiseMultiplier, int clientsPerRound,
        double initialClipNorm = DefaultInitialClipNorm,
        double targetUnclippedQuantile = DefaultTargetUnclippedQuantile,
        double clipLearningRate = DefaultClipLearningRate,
        double? countNoiseStd = null)
    {
        if (clientsPerRound <= 0)
            throw new ArgumentOutOfRangeException(nameof(clientsPerRound), clientsPerRound, "Clients per round must be > 0.");
        L2Clipping.ValidateMaxNorm(initialClipNorm);
        if (double.IsNaN(targetUnclippedQuantile) || targetUnclippedQuantile < 0.0 || targetUnclippedQuantile > 1.0)
            throw new ArgumentOutOfRangeException(nameof(targetUnclippedQuantile), targetUnclippedQuantile, "The target quantile must be in [0, 1].");
        if (double.IsNaN(clipLearningRate) || clipLearningRate < 0.0 || double.IsInfinity(clipLearningRate))
            throw new ArgumentOutOfRangeException(nameof(clipLearningRate), clipLearningRate, "The clip learning rate must be finite and >= 0.");
        double sigmaB = countNoiseStd ?? clientsPerRound / 20.0;
        NoiseMultiplier = noiseMultiplier;
        CountNoiseStd = sigmaB;
        UpdateNoiseMultiplier = SplitUpdateNoiseMultiplier(noiseMultiplier, sigmaB);
        ClientsPerRound = clientsPerRound;
        ClipNorm = initialClipNorm;
        TargetUnclippedQuantile = targetUnclippedQuantile;
        ClipLearningRate = clipLearningRate;
    }

    /// <summary>Current clipping norm C.</summary>
    public double ClipNorm { get; private set; }

    /// <summary>Overall noise multiplier z; record this one in the accountant.</summary>
    public double NoiseMultiplier { get; }

    /// <summary>z_Δ, the multiplier actually applied to the update sum.</summary>
    public double UpdateNoiseMultiplier { get; }

    /// <summary>σ_b, std of the noise on the unclipped count.</summary>
    public double CountNoiseStd { get; }

    public int ClientsPerRound { get; }

    public double TargetUnclippedQuantile { get; }

    public double ClipLearningRate { get; }

    /// <summary>
    /// z_Δ = (z⁻² − (2σ_b)⁻²)^(−1/2). z = 0 gives 0 (no privacy requested); σ_b = 0 requires z = 0.
    /// </summary>
    public static double SplitUpdateNoiseMultiplier(double noiseMultiplier, double countNoiseStd)
    {
        GaussianNoise.ValidateNoiseMultiplier(noiseMultiplier);
        if (double.IsNaN(countNoiseStd) || countNoiseStd < 0.0 || double.IsInfinity(countNoiseStd))
            throw new ArgumentOutOfRangeException(nameof(countNoiseStd), countNoiseStd, "The count noise std σ_b must be finite and >= 0.");
        if (noiseMultiplier == 0.0) return 0.0;
        if (noiseMultiplier >= 2.0 * countNoiseStd)
            throw new ArgumentException(
                $"Noise multiplier z={noiseMultiplier} must be < 2σ_b = {2.0 * countNoiseStd}: the count query would use up all the noise budget. " +
                "Increase the count noise σ_b or lower z.", nameof(noiseMultiplier));
        double inverseSquare = 1.0 / (noiseMultiplier * noiseMultiplier) - 1.0 / (4.0 * countNoiseStd * countNoiseStd);
        return 1.0 / Math.Sqrt(inverseSquare);
    }

    /// <summary>
    /// Applies the geometric clip update from the (true) number of unclipped updates among
    /// <paramref name="clientCount"/>; adds N(0, σ_b²) to the count. Returns the noisy fraction b̄ used.
    /// </summary>
    public double UpdateClipNorm(int unclippedCount, int clientCount, IGaussianSource noise)
    {
        ArgumentNullException.ThrowIfNull(noise);
        if (clientCount < 0 || unclippedCount < 0 || unclippedCount > clientCount)
            throw new ArgumentOutOfRangeException(nameof(unclippedCount), unclippedCount, $"Need 0 <= unclipped <= clients (clients = {clientCount}).");
        double noisyCount = unclippedCount + (CountNoiseStd == 0.0 ? 0.0 : CountNoiseStd * noise.NextStandardNormal());
        // Divide by the configured m (not the realised count) so the sensitivity analysis holds.
        double fraction = noisyCount / ClientsPerRound;
        ClipNorm *= Math.Exp(-ClipLearningRate * (fraction - TargetUnclippedQuantile));
        return fraction;
    }

    /// <summary>
    /// One server-side round: clip each update to the current C, average over m, add N(0, (z_Δ·C/m)²), then
    /// update C from the noisy unclipped fraction. Inputs are not modified.
    /// </summary>
    public float[] AggregateRound(IReadOnlyList<float[]> clientUpdates, IGaussianSource noise)
    {
        var aggregate = DpFedAvg.AggregateClipped(clientUpdates, ClipNorm, UpdateNoiseMultiplier, noise,
            ClientsPerRound, out int unclipped);
        UpdateClipNorm(unclipped, clientUpdates.Count, noise);
        return aggregate;
    }
}
