namespace FedLlm.Privacy.Accounting;

/// <summary>Settings shared by <see cref="RdpAccountant"/> and <see cref="NoiseCalibration"/>.</summary>
/// <param name="Orders">Rényi orders; default <see cref="RdpOrders.Opacus"/>.</param>
/// <param name="Summation">Fractional-order series; default <see cref="FractionalOrderSummation.AbsoluteTerms"/>.</param>
/// <param name="Conversion">RDP → (ε, δ); default <see cref="EpsilonConversion.Balle2020"/>.</param>
public sealed record RdpAccountingOptions(
    IReadOnlyList<double> Orders,
    FractionalOrderSummation Summation = FractionalOrderSummation.AbsoluteTerms,
    EpsilonConversion Conversion = EpsilonConversion.Balle2020)
{
    /// <summary>Opacus orders, |terms| summation, Balle et al. 2020 conversion.</summary>
    public static RdpAccountingOptions Default { get; } = new(RdpOrders.Opacus);
}
