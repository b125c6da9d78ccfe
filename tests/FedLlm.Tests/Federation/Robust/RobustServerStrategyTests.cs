using FedLlm.Federation.Privacy;
using FedLlm.Federation.Robust;
using FedLlm.Federation.Strategies;
using static FedLlm.Tests.Federation.StrategyTestKit;

namespace FedLlm.Tests.Federation.Robust;

/// <summary>The robust step in front of real strategies: what reaches them, what is recorded, what a checkpoint keeps.</summary>
public class RobustServerStrategyTests
{
    private static readonly float[] Global = [1, 1, 1, 1];

    private static ClientUpdate[] Round(params float[] xs) =>
        [.. xs.Select((x, i) => Update(i, 1 + i, Plus(Global, x, x / 2, 0, 0)))];

    [Fact]
    public void KrumThenFedAvgReturnsTheChosenUpdateAndRecordsTheChoice()
    {
        var strategy = new RobustServerStrategy(StrategyRegistry.Create(Options("fedavg", totalClients: 6)), KrumAggregator.Krum(f: 1));
        ClientUpdate[] updates = Round(0, 1, 2, 4, 10);
        float[] next = strategy.Aggregate(0, Global, updates, 6);
        Assert.Equal(updates[1].Weights, next);
        Assert.Equal("fedavg+krum", strategy.Name);
        var json = strategy.LastDecision!.ToJson();
        Assert.Equal("[1]", json["kept"]!.ToJsonString());
        Assert.Equal("[0,2,3,4]", json["dropped"]!.ToJsonString());
        Assert.Equal(2.5, json["krum_score"]!["1"]!.GetValue<double>()); // two neighbours at (±1, ±0.5): 1.25 each
    }

    [Fact]
    public void MultiKrumKeptUpdatesAreAveragedByTheStrategyWithTheirSampleCounts()
    {
        var strategy = new RobustServerStrategy(StrategyRegistry.Create(Options("fedavg", totalClients: 6)), KrumAggregator.MultiKrum(f: 1, keep: 2));
        float[] next = strategy.Aggregate(0, Global, Round(0, 1, 2, 4, 10), 6);
        // Kept x = 0 (n = 1) and x = 1 (n = 2): FedAvg gives x = 2/3.
        AssertClose([1 + 2.0 / 3, 1 + 1.0 / 3, 1, 1], next);
    }

    [Fact]
    public void MedianFeedsAServerOptimiserOneEstimate()
    {
        var fedAvgM = StrategyRegistry.Create(Options("fedavgm", totalClients: 6) with { Beta1 = 0.5 });
        var strategy = new RobustServerStrategy(fedAvgM, new CoordinateMedianAggregator());
        float[] next = strategy.Aggregate(0, Global, Round(0, 1, 2, 4, 10), 6);
        // Median Δ = (2, 1, 0, 0); heavy-ball v = Δ, η = 1 − β = 0.5.
        AssertClose([2, 1.5, 1, 1], next);
    }

    [Fact]
    public void TooFewUpdatesKeepTheGlobalAndSayWhy()
    {
        var strategy = new RobustServerStrategy(StrategyRegistry.Create(Options("fedavg", totalClients: 6)), new BulyanAggregator(f: 1));
        float[] next = strategy.Aggregate(0, Global, Round(0, 1, 2, 4, 10), 6);
        Assert.Equal(Global, next);
        Assert.Equal("5 updates, but bulyan needs 7; the global is unchanged", strategy.LastDecision!.Note);
    }

    [Fact]
    public void WrappingBaselinesOrScaffoldWithAnEstimateIsRejected()
    {
        Assert.Throws<ArgumentException>(() => new RobustServerStrategy(StrategyRegistry.Create(Options("local")), new CoordinateMedianAggregator()));
        var scaffold = Assert.Throws<ArgumentException>(() => new RobustServerStrategy(StrategyRegistry.Create(Options("scaffold")), new CoordinateMedianAggregator()));
        Assert.Contains("without the extras 'scaffold' needs", scaffold.Message);
        _ = new RobustServerStrategy(StrategyRegistry.Create(Options("scaffold")), KrumAggregator.Krum(0));
        var dp = new DpFedAvgStrategy(StrategyRegistry.Create(Options("fedavg")),
            new ClientDpOptions { NoiseMultiplier = 1, ClipNorm = 1, ClientsPerRound = 2, TotalClients = 4 }, runSeed: 1);
        Assert.Contains("client-level DP bounds", Assert.Throws<ArgumentException>(() => new RobustServerStrategy(dp, KrumAggregator.Krum(0))).Message);
    }

    [Fact]
    public void FoolsGoldHistoriesSurviveACheckpoint()
    {
        ServerStrategy Fresh() => new RobustServerStrategy(StrategyRegistry.Create(Options("fedavg", totalClients: 4)), new FoolsGoldAggregator());
        ClientUpdate[] first = [Update(0, 1, 4, 1, 1, 1), Update(1, 1, 1, 4, 1, 1), Update(2, 1, 1, 1, 3, 1)];
        ClientUpdate[] second = [Update(0, 1, 3, 3, 2, 1), Update(1, 1, 3, 3, 2, 1), Update(3, 1, 1, 1, 1, 2)];

        var straight = Fresh();
        float[] global1 = straight.Aggregate(0, Global, first, 4);
        float[] expected = straight.Aggregate(1, global1, second, 4);

        var before = Fresh();
        before.Aggregate(0, Global, first, 4);
        using var checkpoint = new MemoryStream();
        before.SaveState(checkpoint);
        checkpoint.Position = 0;
        var resumed = Fresh();
        resumed.LoadState(checkpoint);
        Assert.Equal(expected, resumed.Aggregate(1, global1, second, 4));

        // Histories (4,1,⅓,0) and (1,4,⅓,0) have cosine 0.47, so clients 0 and 1 keep weight ≈ 0.6; without them,
        // round 1 sees two identical updates, weighs both 0 and follows client 3 alone.
        Assert.NotEqual(expected, Fresh().Aggregate(1, global1, second, 4));
    }

    [Fact]
    public void StateOfAnotherRuleIsRefused()
    {
        var foolsGold = new RobustServerStrategy(StrategyRegistry.Create(Options("fedavg")), new FoolsGoldAggregator());
        using var checkpoint = new MemoryStream();
        foolsGold.SaveState(checkpoint);
        checkpoint.Position = 0;
        var median = new RobustServerStrategy(StrategyRegistry.Create(Options("fedavg")), new CoordinateMedianAggregator());
        var error = Assert.Throws<InvalidDataException>(() => median.LoadState(checkpoint));
        Assert.Contains("'fedavg+foolsgold'", error.Message);
    }

    [Fact]
    public void ParallelStripesGiveTheSameBitsEveryRun()
    {
        // 7 clients × 3 stripes of coordinates (plus a tail), outliers in client 6: workers race for stripes, copies
        // and accumulators; every run must agree, and the median must match a plain per-coordinate one.
        var random = new FedLlm.Foundation.Randomness.Xoshiro256StarStar(5);
        int length = 3 * 4096 + 5;
        float[] global = new float[length];
        ClientUpdate[] updates = [.. Enumerable.Range(0, 7).Select(i => new ClientUpdate(i, 1,
            [.. Enumerable.Range(0, length).Select(_ => (float)(random.NextGaussian() * (i == 6 ? 50 : 1)))]))];
        foreach (Func<RobustAggregator> make in new Func<RobustAggregator>[] { () => new ResidualReweightingAggregator(), () => new TrimmedMeanAggregator(0.15) })
        {
            RobustAggregation first = make().Aggregate(0, global, updates);
            for (int run = 0; run < 3; run++)
            {
                RobustAggregation again = make().Aggregate(0, global, updates);
                Assert.Equal(first.Updates[0].Weights, again.Updates[0].Weights);
                Assert.Equal(first.Decision.ToJson().ToJsonString(), again.Decision.ToJson().ToJsonString());
            }
        }
        float[] median = new CoordinateMedianAggregator().Aggregate(0, global, updates).Updates[0].Weights;
        Assert.All(new[] { 0, 4095, 4096, 8200, length - 1 }, j => Assert.Equal(updates.Select(u => u.Weights[j]).Order().ElementAt(3), median[j]));
    }

    [Fact]
    public void SameInputsGiveTheSameBits()
    {
        ClientUpdate[] updates = Round(0.1f, 0.3f, -0.2f, 5, 0.05f, 0.7f, 0.2f);
        foreach (Func<RobustAggregator> make in new Func<RobustAggregator>[]
        {
            () => new CoordinateMedianAggregator(), () => new TrimmedMeanAggregator(0.2), () => KrumAggregator.MultiKrum(1),
            () => new BulyanAggregator(1), () => NormBoundAggregator.RelativeToMedian(1), () => new DivideAndConquerAggregator(1, 99, sampledDimensions: 2),
            () => new FoolsGoldAggregator(), () => new ResidualReweightingAggregator(),
        })
        {
            float[][] a = [.. make().Aggregate(4, Global, updates).Updates.Select(u => u.Weights)];
            float[][] b = [.. make().Aggregate(4, Global, updates).Updates.Select(u => u.Weights)];
            Assert.Equal(a, b);
        }
    }
}
