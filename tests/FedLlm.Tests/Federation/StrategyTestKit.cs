using FedLlm.Federation.Strategies;

namespace FedLlm.Tests.Federation;

/// <summary>Small builders shared by the strategy tests.</summary>
internal static class StrategyTestKit
{
    public static StrategyOptions Options(string algorithm, int totalClients = 4) =>
        new() { Algorithm = algorithm, TotalClients = totalClients };

    public static ClientUpdate Update(int id, long n, params float[] weights) => new(id, n, weights);

    public static ClientUpdate ScaffoldUpdate(int id, long n, float[] weights, float[] deltaControl) =>
        new(id, n, weights, new Dictionary<string, float[]> { [ExchangeKeys.ScaffoldDeltaControl] = deltaControl });

    public static void AssertClose(double[] expected, ReadOnlySpan<float> actual, double tolerance = 1e-6)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int j = 0; j < expected.Length; j++)
        {
            Assert.True(Math.Abs(expected[j] - actual[j]) <= tolerance, $"[{j}] expected {expected[j]}, got {actual[j]}");
        }
    }

    public static void AssertClose(double[] expected, ReadOnlySpan<double> actual, double tolerance = 1e-6)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int j = 0; j < expected.Length; j++)
        {
            Assert.True(Math.Abs(expected[j] - actual[j]) <= tolerance, $"[{j}] expected {expected[j]}, got {actual[j]}");
        }
    }

    public static float[] Plus(float[] x, params float[] y) => [.. x.Select((v, j) => v + y[j])];
}
