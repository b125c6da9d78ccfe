namespace FedLlm.Privacy.Accounting;

/// <summary>One run of identical sampled-Gaussian steps recorded by <see cref="RdpAccountant"/>.</summary>
/// <param name="NoiseMultiplier">σ (noise std divided by the clipping norm).</param>
/// <param name="SampleRate">Poisson sampling rate q.</param>
/// <param name="Steps">Number of steps with these parameters.</param>
public sealed record RdpStepRecord(double NoiseMultiplier, double SampleRate, long Steps);

/// <summary>
/// Everything needed to resume an <see cref="RdpAccountant"/>: the grid, the total RDP per order and the step history
/// (which lets <see cref="RdpAccountant.RdpAt"/> answer for orders outside the grid).
/// Serialise with <see cref="RdpAccountant.ToJson"/>, which writes ±∞ as "Infinity".
/// </summary>
public sealed record RdpAccountantState(
    double[] Orders,
    double[] TotalRdp,
    RdpStepRecord[] History,
    FractionalOrderSummation Summation,
    EpsilonConversion Conversion);
