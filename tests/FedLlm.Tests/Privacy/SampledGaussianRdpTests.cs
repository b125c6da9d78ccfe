using FedLlm.Privacy.Accounting;

namespace FedLlm.Tests.Privacy;

public class SampledGaussianRdpTests
{
    private const double Sigma = 2.5;
    private const double Q = 0.01;
    private const int Steps = 50;

    // Source: dp_accounting rdp/rdp_privacy_accountant_test.py (|terms| summation), rtol 1e-4.
    [Theory]
    [InlineData(1.5, 6.70579741e-4)]
    [InlineData(2.5, 1.08548710e-3)]
    [InlineData(5.0, 2.18075656e-3)]
    [InlineData(50.0, 2.38460375e-2)]
    [InlineData(100.0, 167.416308)]
    public void Rdp_vector_matches_dp_accounting(double order, double expected)
    {
        double actual = Steps * SampledGaussianRdp.Compute(Sigma, Q, order, FractionalOrderSummation.AbsoluteTerms);
        AssertRelative(expected, actual, 1e-4);
    }

    // Signed-sum values at the fractional orders (research notes, section 6; Opacus / legacy TF method).
    [Theory]
    [InlineData(1.5, 6.5007e-4)]
    [InlineData(2.5, 1.08542e-3)]
    public void Signed_summation_matches_opacus_at_fractional_orders(double order, double expected)
    {
        double actual = Steps * SampledGaussianRdp.Compute(Sigma, Q, order, FractionalOrderSummation.SignedTerms);
        AssertRelative(expected, actual, 1e-4);
    }

    [Theory]
    [InlineData(2.0)]
    [InlineData(5.0)]
    [InlineData(50.0)]
    public void Integer_orders_do_not_depend_on_the_summation(double order) =>
        Assert.Equal(
            SampledGaussianRdp.Compute(Sigma, Q, order, FractionalOrderSummation.AbsoluteTerms),
            SampledGaussianRdp.Compute(Sigma, Q, order, FractionalOrderSummation.SignedTerms));

    [Fact]
    public void Absolute_summation_is_never_below_signed()
    {
        foreach (double order in RdpOrders.Opacus.Where(a => a != Math.Floor(a)))
            Assert.True(SampledGaussianRdp.Compute(1.1, 0.05, order, FractionalOrderSummation.AbsoluteTerms)
                        >= SampledGaussianRdp.Compute(1.1, 0.05, order, FractionalOrderSummation.SignedTerms) * (1 - 1e-12));
    }

    [Fact]
    public void Infinite_order_is_infinite() =>
        Assert.Equal(double.PositiveInfinity, SampledGaussianRdp.Compute(Sigma, Q, double.PositiveInfinity));

    [Theory]
    [InlineData(1.5)]
    [InlineData(2.0)]
    [InlineData(32.0)]
    public void Full_sampling_is_exactly_the_gaussian_mechanism(double order) =>
        Assert.Equal(order / (2 * 4.530877117 * 4.530877117), SampledGaussianRdp.Compute(4.530877117, 1.0, order));

    [Fact]
    public void No_sampling_costs_nothing_and_no_noise_costs_everything()
    {
        Assert.Equal(0.0, SampledGaussianRdp.Compute(1.0, 0.0, 2.5));
        Assert.Equal(0.0, SampledGaussianRdp.Compute(0.0, 0.0, 2.5));
        Assert.Equal(double.PositiveInfinity, SampledGaussianRdp.Compute(0.0, 0.1, 2.5));
        Assert.Equal(double.PositiveInfinity, SampledGaussianRdp.Compute(0.0, 1.0, 3.0));
    }

    [Fact]
    public void Rdp_grows_with_sampling_rate_and_order_and_shrinks_with_noise()
    {
        Assert.True(SampledGaussianRdp.Compute(1.0, 0.02, 4.5) > SampledGaussianRdp.Compute(1.0, 0.01, 4.5));
        Assert.True(SampledGaussianRdp.Compute(1.0, 0.01, 8.5) > SampledGaussianRdp.Compute(1.0, 0.01, 4.5));
        Assert.True(SampledGaussianRdp.Compute(2.0, 0.01, 4.5) < SampledGaussianRdp.Compute(1.0, 0.01, 4.5));
    }

    [Theory]
    [InlineData(-1.0, 0.1, 2.0)]
    [InlineData(1.0, 1.5, 2.0)]
    [InlineData(1.0, -0.1, 2.0)]
    [InlineData(1.0, 0.1, 1.0)]
    [InlineData(1.0, 0.1, double.NaN)]
    public void Invalid_arguments_are_rejected(double sigma, double q, double order) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => SampledGaussianRdp.Compute(sigma, q, order));

    private static void AssertRelative(double expected, double actual, double rtol) =>
        Assert.True(Math.Abs(actual - expected) <= rtol * Math.Abs(expected), $"expected {expected:R}, got {actual:R}");
}
