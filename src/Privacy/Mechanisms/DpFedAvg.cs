namespace FedLlm.Privacy.Mechanisms;

/// <summary>
/// Client-level DP-FedAvg (McMahan, Ramage, Talwar, Zhang 2018, "Learning differentially private recurrent
/// language models"): each client's model update (delta) is clipped to L2 norm S, the clipped updates are averaged
/// with equal weights, and Gaussian noise is added. Replacing one client changes the sum by at most S, so the mean
/// of m updates has sensitivity S/m and noise N(0, (zS/m)²) makes one round a Gaussian mechanism with multiplier z.
/// Account for it with <see cref="Accounting.RdpAccountant"/>: one step per round, q = clients per round / population.
/// </summary>
public static class DpFedAvg
{
    /// <summary>Per-coordinate std of the server-side noise on the mean: z·S/m.</summary>
    public static double CentralNoiseStd(double noiseMultiplier, double clipNorm, double denominator)
    {
        ValidateNoise(noiseMultiplier, clipNorm, denominator);
        return noiseMultiplier * clipNorm / denominator;
    }

    /// <summary>
    /// Per-coordinate std each client adds in the client-side variant: z·S/√m, so that the mean of m noisy
    /// updates carries noise of std z·S/m, as in the central variant (needs the server to be trusted only for
    /// the count m; a secure aggregation keeps the individual noisy updates hidden).
    /// </summary>
    public static double LocalNoiseStd(double noiseMultiplier, double clipNorm, int clientsPerRound)
    {
        ValidateNoise(noiseMultiplier, clipNorm, clientsPerRound);
        return noiseMultiplier * clipNorm / Math.Sqrt(clientsPerRound);
    }

    /// <summary>
    /// Server side: clip each update to <paramref name="clipNorm"/> (inputs are not modified), average, add
    /// N(0, (z·S/m)²) per coordinate. m is the number of updates unless <paramref name="fixedDenominator"/> is
    /// given (McMahan et al.'s fixed-denominator estimator: use the expected count qN with Poisson client sampling).
    /// </summary>
    public static float[] AggregateWithCentralNoise(IReadOnlyList<float[]> clientUpdates, double clipNorm,
        double noiseMultiplier, IGaussianSource noise, double? fixedDenominator = null) =>
        AggregateClipped(clientUpdates, clipNorm, noiseMultiplier, noise, fixedDenominator, out _);

    /// <summary>
    /// Client side: clip <paramref name="update"/> in place and add N(0, (z·S/√m)²) per coordinate; the server
    /// then takes the plain mean. Returns the clipping factor applied.
    /// </summary>
    public static double PrivatizeLocally(Span<float> update, double clipNorm, double noiseMultiplier,
        int clientsPerRound, IGaussianSource noise)
    {
        double std = LocalNoiseStd(noiseMultiplier, clipNorm, clientsPerRound);
        double factor = L2Clipping.Clip(update, clipNorm);
        GaussianNoise.Add(update, std, noise);
        return factor;
    }

    /// <summary>Shared by the fixed and adaptive variants; also reports how many updates had norm ≤ S.</summary>
    internal static float[] AggregateClipped(IReadOnlyList<float[]> clientUpdates, double clipNorm,
        double noiseMultiplier, IGaussianSource noise, double? fixedDenominator, out int unclippedCount)
    {
        ArgumentNullException.ThrowIfNull(clientUpdates);
        ArgumentNullException.ThrowIfNull(noise);
        if (clientUpdates.Count == 0) throw new ArgumentException("There are no client updates to aggregate.", nameof(clientUpdates));
        double denominator = fixedDenominator ?? clientUpdates.Count;
        double std = CentralNoiseStd(noiseMultiplier, clipNorm, denominator);

        int length = clientUpdates[0]?.Length ?? throw new ArgumentException("Client update 0 is null.", nameof(clientUpdates));
        var sum = new double[length];
        unclippedCount = 0;
        for (int c = 0; c < clientUpdates.Count; c++)
        {
            var update = clientUpdates[c] ?? throw new ArgumentException($"Client update {c} is null.", nameof(clientUpdates));
            if (update.Length != length)
                throw new ArgumentException($"Client update {c} has {update.Length} values; update 0 has {length}.", nameof(clientUpdates));
            double norm = L2Clipping.Norm(update);
            if (!double.IsFinite(norm))
                throw new ArgumentException($"Client update {c} contains NaN or Inf (norm {norm}).", nameof(clientUpdates));
            if (norm <= clipNorm) unclippedCount++;
            double factor = L2Clipping.Factor(norm, clipNorm); // accumulated in double: no float rounding of the clipped update
            for (int i = 0; i < length; i++) sum[i] += factor * update[i];
        }

        var result = new float[length];
        for (int i = 0; i < length; i++) result[i] = (float)(sum[i] / denominator);
        GaussianNoise.Add(result, std, noise);
        return result;
    }

    private static void ValidateNoise(double noiseMultiplier, double clipNorm, double denominator)
    {
        GaussianNoise.ValidateNoiseMultiplier(noiseMultiplier);
        L2Clipping.ValidateMaxNorm(clipNorm);
        if (double.IsNaN(denominator) || denominator <= 0.0 || double.IsInfinity(denominator))
            throw new ArgumentOutOfRangeException(nameof(denominator), denominator, "The client count / denominator must be finite and > 0.");
    }
}
