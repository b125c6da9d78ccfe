using FedLlm.Privacy.Mechanisms;

namespace FedLlm.Tests.Privacy;

public class DpFedAvgTests
{
    [Fact]
    public void Without_noise_the_aggregate_is_the_mean_of_clipped_updates()
    {
        float[] small = [0.3f, 0.4f];       // norm 0.5, kept
        float[] large = [6f, 8f];           // norm 10, clipped to 1 → [0.6, 0.8]
        using var noise = new SeededGaussianSource(1);
        var aggregate = DpFedAvg.AggregateWithCentralNoise([small, large], 1.0, 0.0, noise);
        Assert.Equal(0.45f, aggregate[0], 1e-6f);
        Assert.Equal(0.6f, aggregate[1], 1e-6f);
        Assert.Equal([6f, 8f], large); // inputs untouched
    }

    [Fact]
    public void Central_noise_has_std_z_s_over_m()
    {
        const int dimension = 100_000;
        const int clients = 4;
        var updates = Enumerable.Range(0, clients).Select(_ => new float[dimension]).ToArray();
        using var noise = new SeededGaussianSource(11);
        var aggregate = DpFedAvg.AggregateWithCentralNoise(updates, 2.0, 1.5, noise);
        double expectedStd = 1.5 * 2.0 / clients;
        Assert.Equal(expectedStd, DpFedAvg.CentralNoiseStd(1.5, 2.0, clients));
        double variance = aggregate.Sum(x => (double)x * x) / dimension;
        // Sample variance of n normals: relative std √(2/n); allow 5 of them.
        Assert.Equal(expectedStd * expectedStd, variance, expectedStd * expectedStd * 5 * Math.Sqrt(2.0 / dimension));
    }

    [Fact]
    public void Fixed_denominator_divides_by_the_expected_count()
    {
        float[] update = [1f, 0f];
        using var noise = new SeededGaussianSource(1);
        var aggregate = DpFedAvg.AggregateWithCentralNoise([update], 10.0, 0.0, noise, fixedDenominator: 4.0);
        Assert.Equal(0.25f, aggregate[0]);
    }

    [Fact]
    public void Local_noise_averages_to_the_central_noise_level()
    {
        const int dimension = 50_000;
        const int clients = 9;
        using var noise = new SeededGaussianSource(12);
        var mean = new double[dimension];
        for (int c = 0; c < clients; c++)
        {
            var update = new float[dimension];
            update[0] = 100f; // will be clipped to norm 3
            double factor = DpFedAvg.PrivatizeLocally(update, 3.0, 1.0, clients, noise);
            Assert.Equal(0.03, factor, 1e-6);
            for (int i = 0; i < dimension; i++) mean[i] += update[i] / (double)clients;
        }
        Assert.Equal(1.0, DpFedAvg.LocalNoiseStd(1.0, 3.0, clients), 1e-12); // z·S/√m = 1·3/3
        double variance = mean.Skip(1).Sum(x => x * x) / (dimension - 1);
        double expected = Math.Pow(DpFedAvg.CentralNoiseStd(1.0, 3.0, clients), 2);
        Assert.Equal(expected, variance, expected * 5 * Math.Sqrt(2.0 / dimension));
    }

    [Fact]
    public void Mismatched_or_bad_updates_are_rejected()
    {
        using var noise = new SeededGaussianSource(1);
        Assert.Contains("update 1", Assert.Throws<ArgumentException>(
            () => DpFedAvg.AggregateWithCentralNoise([new float[3], new float[4]], 1.0, 1.0, noise)).Message);
        Assert.Throws<ArgumentException>(() => DpFedAvg.AggregateWithCentralNoise([], 1.0, 1.0, noise));
        Assert.Contains("NaN", Assert.Throws<ArgumentException>(
            () => DpFedAvg.AggregateWithCentralNoise([new[] { float.NaN }], 1.0, 1.0, noise)).Message);
    }
}
