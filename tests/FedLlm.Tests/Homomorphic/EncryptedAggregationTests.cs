using FedLlm.Encryption.Homomorphic;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace FedLlm.Tests.Homomorphic;

public enum ValuePattern
{
    Uniform,
    AllMax,
    AllMin,
    AlternatingExtremes,
    BeyondClip,
}

/// <summary>One federated round: per client a weight, a value pattern and a seed that fills its update.</summary>
public sealed record AggregationCase(int Length, long[] Weights, ValuePattern[] Patterns, int[] Seeds)
{
    public int ClientCount => Weights.Length;

    public float[] Update(int client, double bound)
    {
        var random = new Random(Seeds[client]);
        var values = new float[Length];
        for (int i = 0; i < Length; i++)
        {
            values[i] = Patterns[client] switch
            {
                ValuePattern.AllMax => (float)bound,
                ValuePattern.AllMin => (float)-bound,
                ValuePattern.AlternatingExtremes => (float)(i % 2 == 0 ? bound : -bound),
                ValuePattern.BeyondClip => (float)((random.NextDouble() * 2 - 1) * 4 * bound),
                _ => (float)((random.NextDouble() * 2 - 1) * bound),
            };
        }
        return values;
    }

    public override string ToString() =>
        $"K={ClientCount}, length={Length}, weights=[{string.Join(",", Weights)}], patterns=[{string.Join(",", Patterns)}]";
}

public static class AggregationArbitraries
{
    public static Arbitrary<AggregationCase> Cases()
    {
        HeParameters parameters = HomomorphicFixtures.Default;
        Gen<long> weight = Gen.Frequency(
            (3, Gen.Choose(1, (int)parameters.MaxWeight).Select(w => (long)w)),
            (1, Gen.Constant(parameters.MaxWeight)),
            (1, Gen.Constant(1L)));
        Gen<ValuePattern> pattern = Gen.Frequency(
            (4, Gen.Constant(ValuePattern.Uniform)),
            (1, Gen.Elements(ValuePattern.AllMax, ValuePattern.AllMin, ValuePattern.AlternatingExtremes, ValuePattern.BeyondClip)));
        Gen<AggregationCase> cases =
            from clients in Gen.Choose(1, parameters.MaxClients)
            from length in Gen.Choose(1, parameters.RingDegree + 9)
            from weights in Gen.ArrayOf(weight, clients)
            from patterns in Gen.ArrayOf(pattern, clients)
            from seeds in Gen.ArrayOf(Gen.Choose(0, int.MaxValue), clients)
            select new AggregationCase(length, weights, patterns, seeds);
        return cases.ToArbitrary();
    }
}

public class EncryptedAggregationTests
{
    private static readonly HeParameters Parameters = HomomorphicFixtures.Default;
    private static readonly HeSecretKey SharedKey = HeSecretKey.Generate(Parameters);

    [Property(MaxTest = 20, Arbitrary = [typeof(AggregationArbitraries)])]
    public bool DecryptedWeightedMeanMatchesThePlaintextWeightedMean(AggregationCase round)
    {
        var encryptor = new HeEncryptor(Parameters, SharedKey);
        var aggregator = new HeAggregator(Parameters);
        var expected = new double[round.Length];
        for (int client = 0; client < round.ClientCount; client++)
        {
            float[] update = round.Update(client, Parameters.ClipBound);
            for (int i = 0; i < update.Length; i++) expected[i] += round.Weights[client] * Math.Clamp(update[i], -Parameters.ClipBound, Parameters.ClipBound);
            aggregator.Add(EncryptedVector.FromBytes(encryptor.Encrypt(update).ToBytes(), Parameters), round.Weights[client]);
        }
        long totalWeight = round.Weights.Sum();
        EncryptedVector sum = EncryptedVector.FromBytes(aggregator.Result().ToBytes(), Parameters);
        float[] mean = new HeDecryptor(Parameters, SharedKey).Decrypt(sum, totalWeight);

        double tolerance = HomomorphicFixtures.Tolerance(Parameters);
        return mean.Length == round.Length && mean.Select((m, i) => Math.Abs(m - expected[i] / totalWeight)).All(error => error <= tolerance);
    }

    [Theory]
    [InlineData(+HeParameters.ErrorBound, 1.0f)]
    [InlineData(-HeParameters.ErrorBound, 1.0f)]
    [InlineData(+HeParameters.ErrorBound, -1.0f)]
    [InlineData(-HeParameters.ErrorBound, -1.0f)]
    public void WorstCaseNoiseAndExtremeValuesAtFullLoadDecryptExactly(long error, float extreme)
    {
        // K_max clients at W_max, every value at ±B and every error coefficient at ±η: the largest |Δ·M + E| the
        // parameters admit. The integer sum must come back exactly.
        var encryptor = new HeEncryptor(Parameters, SharedKey, new ConstantErrorSampler(error));
        var aggregator = new HeAggregator(Parameters);
        float[] update = new float[Parameters.RingDegree + 1];
        Array.Fill(update, extreme);
        for (int client = 0; client < Parameters.MaxClients; client++) aggregator.Add(encryptor.Encrypt(update), Parameters.MaxWeight);

        long[] sums = new HeDecryptor(Parameters, SharedKey).DecryptIntegerSums(aggregator.Result());

        long expected = Parameters.MaxTotalWeight * HomomorphicFixtures.Encode(extreme, Parameters);
        Assert.All(sums, sum => Assert.Equal(expected, sum));
    }

    [Fact]
    public void IntegerSumIsExactForRandomWeightsAndValues()
    {
        var random = new Random(11);
        var encryptor = new HeEncryptor(Parameters, SharedKey);
        var aggregator = new HeAggregator(Parameters);
        var expected = new long[3000];
        for (int client = 0; client < 10; client++)
        {
            float[] update = HomomorphicFixtures.RandomValues(random, expected.Length, 1.5);
            long weight = random.Next(1, 1025);
            for (int i = 0; i < update.Length; i++) expected[i] += weight * HomomorphicFixtures.Encode(update[i], Parameters);
            aggregator.Add(encryptor.Encrypt(update), weight);
        }
        Assert.Equal(expected, new HeDecryptor(Parameters, SharedKey).DecryptIntegerSums(aggregator.Result()));
    }

    [Fact]
    public void AggregatesCanBeAggregatedAgain()
    {
        var encryptor = new HeEncryptor(Parameters, SharedKey);
        float[] a = [0.5f, -0.25f], b = [0.25f, 0.75f], c = [-1f, 1f];
        var edge = new HeAggregator(Parameters);
        edge.Add(encryptor.Encrypt(a), 2);
        edge.Add(encryptor.Encrypt(b), 3);
        var top = new HeAggregator(Parameters);
        top.Add(edge.Result(), 2);
        top.Add(encryptor.Encrypt(c), 6);

        float[] mean = new HeDecryptor(Parameters, SharedKey).Decrypt(top.Result(), 16);

        Assert.Equal((2 * (2 * 0.5 + 3 * 0.25) + 6 * -1.0) / 16, mean[0], 6);
        Assert.Equal((2 * (2 * -0.25 + 3 * 0.75) + 6 * 1.0) / 16, mean[1], 6);
    }
}
