using FedLlm.Privacy.Accounting;

namespace FedLlm.Tests.Privacy;

public class RdpConversionTests
{
    [Fact]
    public void Constant_rdp_converts_to_the_reference_epsilon()
    {
        // dp_accounting rdp_privacy_accountant_test.py (research notes §6): RDP ≡ 1.1 on orders 2..32, δ = 1e-5
        // → ε = 1.32783806176 at α = 32.
        var orders = RdpOrders.Integers(2, 32);
        var rdp = orders.Select(_ => 1.1).ToArray();
        double epsilon = RdpConversion.Epsilon(orders, rdp, 1e-5, EpsilonConversion.Balle2020, out double order);
        Assert.Equal(1.32783806176, epsilon, 1e-10);
        Assert.Equal(32, order);
    }

    [Fact]
    public void Classic_conversion_uses_mironovs_formula()
    {
        var orders = new[] { 2.0, 10.0 };
        var rdp = new[] { 0.5, 1.0 };
        double epsilon = RdpConversion.Epsilon(orders, rdp, 1e-5, EpsilonConversion.Classic, out double order);
        Assert.Equal(1.0 - Math.Log(1e-5) / 9.0, epsilon, 1e-12);
        Assert.Equal(10.0, order);
    }

    [Fact]
    public void Tiny_rdp_passes_the_kl_check_and_orders_near_one_are_skipped()
    {
        Assert.Equal(0.0, RdpConversion.Epsilon([5.0], [1e-12], 1e-5, EpsilonConversion.Balle2020, out _));
        double epsilon = RdpConversion.Epsilon([1.005], [1.0], 1e-5, EpsilonConversion.Balle2020, out double order);
        Assert.Equal(double.PositiveInfinity, epsilon);
        Assert.True(double.IsNaN(order));
    }

    [Fact]
    public void Infinite_order_contributes_its_rdp()
    {
        Assert.Equal(0.25, RdpConversion.Epsilon([double.PositiveInfinity], [0.25], 1e-5, EpsilonConversion.Balle2020, out _));
        Assert.Equal(0.25, RdpConversion.Epsilon([double.PositiveInfinity], [0.25], 1e-5, EpsilonConversion.Classic, out _));
    }

    [Fact]
    public void Bad_inputs_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => RdpConversion.Epsilon([2.0, 3.0], [1.0], 1e-5, EpsilonConversion.Balle2020, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => RdpConversion.Epsilon([2.0], [1.0], 1.5, EpsilonConversion.Balle2020, out _));
        Assert.Throws<ArgumentException>(() => RdpConversion.Epsilon([2.0], [-1.0], 1e-5, EpsilonConversion.Balle2020, out _));
        Assert.Contains("index 1", Assert.Throws<ArgumentException>(
            () => RdpConversion.Epsilon([2.0, 0.5], [1.0, 1.0], 1e-5, EpsilonConversion.Balle2020, out _)).Message);
    }
}
