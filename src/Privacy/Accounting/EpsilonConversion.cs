namespace FedLlm.Privacy.Accounting;

/// <summary>How an RDP curve is turned into an (ε, δ) guarantee.</summary>
public enum EpsilonConversion
{
    /// <summary>
    /// Balle et al. 2020 ("Hypothesis testing interpretations and Rényi DP", Thm. 21):
    /// ε = RDP(α) − (ln δ + ln α)/(α − 1) + ln((α − 1)/α). Tighter than <see cref="Classic"/>; the default,
    /// as in Opacus and dp_accounting.
    /// </summary>
    Balle2020 = 0,

    /// <summary>Mironov 2017, Prop. 3: ε = RDP(α) + ln(1/δ)/(α − 1).</summary>
    Classic = 1,
}
