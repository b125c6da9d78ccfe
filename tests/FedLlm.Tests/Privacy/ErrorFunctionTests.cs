using FedLlm.Privacy.Numerics;

namespace FedLlm.Tests.Privacy;

public class ErrorFunctionTests
{
    // Expected values: CPython 3 math.erfc (libm), cross-checked against a 140-digit Decimal series.
    [Theory]
    [InlineData(-3.0, 1.9999779095030015)]
    [InlineData(-1.0, 1.842700792949715)]
    [InlineData(-0.4, 1.4283923550466684)]
    [InlineData(0.0, 1.0)]
    [InlineData(0.1, 0.8875370839817152)]
    [InlineData(0.49, 0.4883317388114769)]
    [InlineData(0.5, 0.4795001221869535)]
    [InlineData(0.75, 0.28884436634648486)]
    [InlineData(1.0, 0.15729920705028513)]
    [InlineData(2.0, 0.004677734981047265)]
    [InlineData(3.0, 2.209049699858544e-05)]
    [InlineData(5.0, 1.5374597944280351e-12)]
    [InlineData(10.0, 2.088487583762545e-45)]
    [InlineData(20.0, 5.3958656116079005e-176)]
    [InlineData(26.0, 5.663192408856143e-296)]
    public void Erfc_matches_reference_to_1e15_relative(double x, double expected)
    {
        double actual = ErrorFunction.Erfc(x);
        Assert.True(Math.Abs(actual - expected) <= 1.5e-15 * expected, $"erfc({x}) = {actual:R}, expected {expected:R}");
    }

    // ln erfc beyond the underflow point; reference: 80-digit Decimal evaluation of the Laplace continued fraction.
    [Theory]
    [InlineData(27.0, -732.8688865078974)]
    [InlineData(30.0, -903.9741171106439)]
    [InlineData(100.0, -10005.177585122665)]
    [InlineData(1000.0, -1000007.4801207219)]
    [InlineData(1e5, -10000000012.08529)]
    public void LogErfc_is_accurate_where_erfc_underflows(double x, double expected)
    {
        double actual = ErrorFunction.LogErfc(x);
        Assert.True(Math.Abs(actual - expected) <= 1e-15 * Math.Abs(expected), $"ln erfc({x}) = {actual:R}, expected {expected:R}");
    }

    [Theory]
    [InlineData(-5.0)]
    [InlineData(-0.3)]
    [InlineData(0.2)]
    [InlineData(0.6)]
    [InlineData(4.0)]
    [InlineData(25.0)]
    public void LogErfc_agrees_with_log_of_erfc_where_both_are_finite(double x) =>
        Assert.Equal(Math.Log(ErrorFunction.Erfc(x)), ErrorFunction.LogErfc(x), 1e-13);

    [Fact]
    public void Erf_and_erfc_are_complementary_and_odd()
    {
        for (double x = -4; x <= 4; x += 0.37)
        {
            Assert.Equal(1.0, ErrorFunction.Erf(x) + ErrorFunction.Erfc(x), 1e-15);
            Assert.Equal(-ErrorFunction.Erf(x), ErrorFunction.Erf(-x), 1e-15);
        }
    }

    [Fact]
    public void Limits_are_exact()
    {
        Assert.Equal(0.0, ErrorFunction.Erfc(double.PositiveInfinity));
        Assert.Equal(2.0, ErrorFunction.Erfc(double.NegativeInfinity));
        Assert.Equal(double.NegativeInfinity, ErrorFunction.LogErfc(double.PositiveInfinity));
        Assert.Equal(double.NegativeInfinity, ErrorFunction.LogErfc(1e200));
        Assert.Equal(0.0, ErrorFunction.Erfc(28.0));
        Assert.True(ErrorFunction.Erfc(27.0) > 0.0); // still a subnormal, not flushed early
        Assert.True(double.IsNaN(ErrorFunction.Erfc(double.NaN)));
    }
}
