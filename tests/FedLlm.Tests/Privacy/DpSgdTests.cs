using FedLlm.Privacy.Mechanisms;

namespace FedLlm.Tests.Privacy;

public class DpSgdTests
{
    [Fact]
    public void Clip_factors_scale_long_gradients_to_the_bound()
    {
        var factors = new double[4];
        DpSgd.ComputeClipFactors([0.0, 0.5, 1.0, 4.0], 1.0, factors);
        Assert.Equal([1.0, 1.0, 1.0, 0.25], factors);
        var floatFactors = DpSgd.ComputeClipFactors([3f, 0.1f], 1.0);
        Assert.True(3f * floatFactors[0] <= 1f);
        Assert.Equal(1f, floatFactors[1]);
        Assert.Throws<ArgumentException>(() => DpSgd.ComputeClipFactors([double.NaN], 1.0, new double[1]));
    }

    [Fact]
    public void Noise_on_the_summed_gradient_has_std_sigma_times_c()
    {
        const int dimension = 100_000;
        var gradient = new float[dimension];
        using var noise = new SeededGaussianSource(21);
        DpSgd.AddNoise(gradient, 1.1, 0.5, noise);
        double variance = gradient.Sum(x => (double)x * x) / dimension;
        double expected = Math.Pow(1.1 * 0.5, 2);
        Assert.Equal(expected, variance, expected * 5 * Math.Sqrt(2.0 / dimension));
    }

    [Fact]
    public void Poisson_batches_have_binomial_sizes_and_are_reproducible()
    {
        const int datasetSize = 10_000;
        const double q = 0.02;
        using var random = new SeededRandomSource(5);
        var sampler = new PoissonSampler(q, random);
        Assert.Equal(200.0, sampler.ExpectedBatchSize(datasetSize), 1e-9);
        var sizes = new List<int>();
        var hits = new int[datasetSize];
        for (int step = 0; step < 500; step++)
        {
            var batch = sampler.SampleBatch(datasetSize);
            Assert.True(batch.SequenceEqual(batch.Order().Distinct()), "indices must be ascending and unique");
            sizes.Add(batch.Length);
            foreach (int i in batch) hits[i]++;
        }
        // Batch size ~ Binomial(N, q): mean 200, std 14; the mean of 500 sizes has std 0.63.
        Assert.Equal(200.0, sizes.Average(), 5 * Math.Sqrt(datasetSize * q * (1 - q) / 500));
        Assert.InRange(sizes.Max(), 201, 280);
        // Every record has the same inclusion probability: first vs second half of the data.
        Assert.Equal(hits.Take(5000).Sum(), hits.Skip(5000).Sum(), 600.0);

        using var first = new SeededRandomSource(5);
        using var second = new SeededRandomSource(5);
        Assert.Equal(new PoissonSampler(q, first).SampleBatch(1000), new PoissonSampler(q, second).SampleBatch(1000));
    }

    [Fact]
    public void Degenerate_rates_are_exact()
    {
        using var random = new SeededRandomSource(1);
        Assert.Empty(new PoissonSampler(0.0, random).SampleBatch(100));
        Assert.Equal(Enumerable.Range(0, 100), new PoissonSampler(1.0, random).SampleBatch(100));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PoissonSampler(1.5, random));
    }
}
