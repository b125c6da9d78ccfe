using FedLlm.Federation.Robust;
using FedLlm.Federation.Strategies;
using static FedLlm.Tests.Federation.StrategyTestKit;

namespace FedLlm.Tests.Federation.Robust;

/// <summary>Every rule against values worked out by hand on 3–7 clients and 4 coordinates.</summary>
public class RobustRuleTests
{
    private static readonly float[] Zero = [0, 0, 0, 0];

    // Five clients; column by column: {1,2,3,4,100}, {2,3,100,1,2}, {3,4,−1,0,2}, {4,5,6,7,8}.
    private static readonly ClientUpdate[] Five =
    [
        Update(10, 5, 1, 2, 3, 4),
        Update(11, 5, 2, 3, 4, 5),
        Update(12, 5, 3, 100, -1, 6),
        Update(13, 5, 4, 1, 0, 7),
        Update(14, 5, 100, 2, 2, 8),
    ];

    [Fact]
    public void MedianTakesTheMiddleValueOfEachCoordinate()
    {
        RobustAggregation result = new CoordinateMedianAggregator().Aggregate(0, Zero, Five);
        // Sorted columns: 1 2 [3] 4 100 | 1 2 [2] 3 100 | −1 0 [2] 3 4 | 4 5 [6] 7 8.
        ClientUpdate estimate = Assert.Single(result.Updates);
        Assert.Equal([3f, 2f, 2f, 6f], estimate.Weights);
        Assert.Equal(10, estimate.ClientId);
        Assert.Null(result.Decision.Kept);
    }

    [Fact]
    public void MedianOfAnEvenCountAveragesTheTwoMiddleValues()
    {
        RobustAggregation result = new CoordinateMedianAggregator().Aggregate(0, Zero, Five[..4]);
        // 1 [2 3] 4 | 1 [2 3] 100 | −1 [0 3] 4 | 4 [5 6] 7.
        Assert.Equal([2.5f, 2.5f, 1.5f, 5.5f], result.Updates[0].Weights);
    }

    [Fact]
    public void MedianRecordsWhoseValuesItTook()
    {
        // Odd K: column 0's 3 and column 3's 6 are client 12's, column 2's 2 is client 14's (column 1's 2 is a tie of 10 and 14).
        var odd = new CoordinateMedianAggregator().Aggregate(0, Zero, Five).Decision.PerClient["median_share"];
        Assert.Equal(0.5, odd[12]);
        Assert.Equal(0, odd[11]);
        Assert.Equal(0, odd[13]);
        Assert.Equal(1.0, odd.Values.Sum(), 12);
        // Even K, half a share per middle value: [11 12] | [10 11] | [13 10] | [11 12], over 4 columns.
        var even = new CoordinateMedianAggregator().Aggregate(0, Zero, Five[..4]).Decision.PerClient["median_share"];
        Assert.Equal([0.25, 0.375, 0.25, 0.125], even.OrderBy(p => p.Key).Select(p => p.Value));
    }

    [Fact]
    public void TrimmedMeanCutsTheSameCountFromBothEndsAndRecordsWhoWasCut()
    {
        RobustAggregation result = new TrimmedMeanAggregator(0.2).Aggregate(0, Zero, Five);
        // ⌊0.2·5⌋ = 1 per side: (2+3+4)/3, (2+2+3)/3, (0+2+3)/3, (5+6+7)/3.
        AssertClose([3, 7.0 / 3, 5.0 / 3, 6], result.Updates[0].Weights);
        // Cut: column 0 clients 10 and 14, column 1 13 and 12, column 2 12 and 11, column 3 10 and 14.
        var share = result.Decision.PerClient["trimmed_share"];
        Assert.Equal([0.5, 0.25, 0.5, 0.25, 0.5], share.OrderBy(p => p.Key).Select(p => p.Value));
        Assert.Equal(1.0, result.Decision.Values["trimmed_per_side"]);
    }

    [Fact]
    public void TrimmedMeanWithBetaZeroIsThePlainMean()
    {
        RobustAggregation result = new TrimmedMeanAggregator(0).Aggregate(0, Zero, Five[..3]);
        AssertClose([2, 35, 2, 5], result.Updates[0].Weights);
    }

    // Points on a line, x = 0, 1, 2, 4, 10, around a global that the distances ignore.
    private static readonly float[] Offset = [5, -3, 0.5f, 2];

    private static ClientUpdate[] Line(params float[] xs) =>
        [.. xs.Select((x, i) => Update(20 + i, 1 + i, Plus(Offset, x, 0, 0, 0)))];

    [Fact]
    public void KrumKeepsTheUpdateWithTheSmallestSumOverItsNearestNeighbours()
    {
        ClientUpdate[] updates = Line(0, 1, 2, 4, 10);
        RobustAggregation result = KrumAggregator.Krum(f: 1).Aggregate(0, Offset, updates);
        // n − f − 2 = 2 neighbours: x=0 → 1+4, x=1 → 1+1, x=2 → 1+4, x=4 → 4+9, x=10 → 36+64.
        Assert.Same(updates[1], Assert.Single(result.Updates));
        Assert.Equal([21], result.Decision.Kept!);
        Assert.Equal([20, 22, 23, 24], result.Decision.Dropped);
        Assert.Equal([5.0, 2, 5, 13, 100], result.Decision.PerClient["krum_score"].OrderBy(p => p.Key).Select(p => p.Value));
    }

    [Fact]
    public void MultiKrumKeepsTheMLowestScoresWithTiesToTheFirstListed()
    {
        ClientUpdate[] updates = Line(0, 1, 2, 4, 10);
        // Default m = n − f = 4 drops only x = 10.
        Assert.Equal([20, 21, 22, 23], KrumAggregator.MultiKrum(f: 1).Aggregate(0, Offset, updates).Decision.Kept!);
        // m = 2: score 2 (x=1), then x=0 and x=2 tie at 5, and the first listed wins.
        RobustAggregation two = KrumAggregator.MultiKrum(f: 1, keep: 2).Aggregate(0, Offset, updates);
        Assert.Equal([updates[0], updates[1]], two.Updates);
    }

    [Fact]
    public void BulyanSelectsByRepeatedKrumThenAveragesTheValuesNearestTheMedian()
    {
        ClientUpdate[] updates =
        [
            Update(0, 1, 0, 9, 1, 0),
            Update(1, 1, 1, -5, 1, 0),
            Update(2, 1, 2, 0, 1, 0),
            Update(3, 1, 3, 1, 1, 0),
            Update(4, 1, 4, 3, 1, 0),
            Update(5, 1, 12, 6, 1, 0),
            Update(6, 1, 50, 9, -40, 0),
        ];
        RobustAggregation result = new BulyanAggregator(f: 1).Aggregate(0, Zero, updates);
        // θ = 7 − 2 = 5 chosen by Krum with max(1, r − 3) neighbours: client 3 (score 120 of r = 7), 2 (124 of 6),
        // 4 (125 of 5), then 0 (tie with 5 at 153, first listed) and 1 (tie with 5 at 242).
        Assert.Equal([0, 1, 2, 3, 4], result.Decision.Kept!);
        // β = θ − 2 = 3 nearest the median: {1,2,3} → 2; sorted −5 0 [1] 3 9 → {0,1,3} → 4/3; all 1s; all 0s.
        AssertClose([2, 4.0 / 3, 1, 0], result.Updates[0].Weights);
    }

    [Fact]
    public void NormBoundScalesOnlyTheUpdatesAboveTheBound()
    {
        float[] global = [1, 1, 1, 1];
        ClientUpdate[] updates =
        [
            Update(0, 7, Plus(global, 3, 4, 0, 0)), // ‖Δ‖ = 5
            Update(1, 8, Plus(global, 0, 0, 0, 1)), // 1
            Update(2, 9, Plus(global, 0, 0, 2, 0)), // 2
        ];
        RobustAggregation fixedBound = NormBoundAggregator.Fixed(2).Aggregate(0, global, updates);
        AssertClose([2.2, 2.6, 1, 1], fixedBound.Updates[0].Weights); // Δ·2/5
        Assert.Equal(7, fixedBound.Updates[0].SampleCount);
        Assert.Same(updates[1], fixedBound.Updates[1]);
        Assert.Same(updates[2], fixedBound.Updates[2]); // exactly at the bound
        Assert.Equal(0.4, fixedBound.Decision.PerClient["clip_factor"][0], 12);
        Assert.Equal([5.0, 1, 2], fixedBound.Decision.PerClient["update_norm"].OrderBy(p => p.Key).Select(p => p.Value));

        // Half the median norm (2): bound 1 clips clients 0 (×0.2) and 2 (×0.5).
        RobustAggregation relative = NormBoundAggregator.RelativeToMedian(0.5).Aggregate(0, global, updates);
        Assert.Equal(1.0, relative.Decision.Values["norm_bound"]);
        AssertClose([1.6, 1.8, 1, 1], relative.Updates[0].Weights);
        AssertClose([1, 1, 2, 1], relative.Updates[2].Weights);
    }

    [Fact]
    public void DncDropsTheLargestProjectionsOnTheTopSingularVector()
    {
        // Rank one after centring: mean x = 3.2, centred −3.2 −2.2 −1.2 −0.2 6.8, scores are their squares.
        ClientUpdate[] updates = Line(0, 1, 2, 3, 10);
        RobustAggregation one = new DivideAndConquerAggregator(f: 1, runSeed: 7).Aggregate(3, Offset, updates);
        Assert.Equal([20, 21, 22, 23], one.Decision.Kept!);
        Assert.Equal([10.24, 4.84, 1.44, 0.04, 46.24], one.Decision.PerClient["dnc_score"].OrderBy(p => p.Key).Select(p => Math.Round(p.Value, 9)));
        RobustAggregation two = new DivideAndConquerAggregator(f: 2, runSeed: 7).Aggregate(3, Offset, updates);
        Assert.Equal([21, 22, 23], two.Decision.Kept!);
    }

    [Fact]
    public void FoolsGoldGivesIdenticalSybilsNoWeight()
    {
        ClientUpdate[] updates = [Update(0, 1, 1, 0, 0, 0), Update(1, 1, 1, 1, 0, 0), Update(2, 1, 1, 1, 0, 0)];
        RobustAggregation result = new FoolsGoldAggregator().Aggregate(0, Zero, updates);
        // cs = [[0, .707, .707], [.707, 0, 1], [.707, 1, 0]]; pardoning scales client 0's row by .707 → 0.5;
        // α = 1 − row max = (0.5, 0, 0) → /max → (1, 0, 0) → 0.99 → ln 99 + 0.5 > 1 → 1; ln 0 → 0.
        Assert.Equal([1.0, 0, 0], result.Decision.Weights!.OrderBy(p => p.Key).Select(p => p.Value));
        Assert.Equal([1f, 0, 0, 0], result.Updates[0].Weights);
    }

    [Fact]
    public void FoolsGoldLogitGivesIntermediateWeights()
    {
        ClientUpdate[] updates = [Update(0, 1, 4, 1, 0, 0), Update(1, 1, 3, 2, 1, 0), Update(2, 1, 0, 1, 4, 1), Update(3, 1, 1, 0, 3, 3)];
        RobustAggregation result = new FoolsGoldAggregator().Aggregate(0, Zero, updates);
        // Row maxima v = (.9075, .9075, .8111, .8111). Pardoning: clients 2 and 3 scale their similarity to 0 and 1 by
        // .8111/.9075, but their own pair keeps .8111. α = 1 − v = (.0925, .0925, .1889, .1889); /max → (.4898, .4898, 1, 1);
        // ln(.4898/.5102) + 0.5 = .4591; the 1s become .99 → 1.
        double[] weights = [.. result.Decision.Weights!.OrderBy(p => p.Key).Select(p => p.Value)];
        AssertClose([0.459089418, 0.459089418, 1, 1], weights, 1e-8);
        double total = 2 * 0.45908941816611726 + 2;
        AssertClose([(0.45908941816611726 * 7 + 1) / total, (0.45908941816611726 * 3 + 1) / total,
            (0.45908941816611726 * 1 + 7) / total, (0 + 4) / total], result.Updates[0].Weights);
    }

    [Fact]
    public void FoolsGoldComparesHistoriesAcrossRounds()
    {
        var foolsGold = new FoolsGoldAggregator();
        // Round 0: orthogonal updates, both weighted fully.
        foolsGold.Aggregate(0, Zero, [Update(0, 1, 1, 0, 0, 0), Update(1, 1, 0, 1, 0, 0)]);
        // Round 1: identical updates, but the histories (2,1,0,0) and (1,2,0,0) differ: cos = 0.8, α = 0.2 each → 1.
        RobustAggregation result = foolsGold.Aggregate(1, Zero, [Update(0, 1, 1, 1, 0, 0), Update(1, 1, 1, 1, 0, 0)]);
        Assert.Equal([2f, 1, 0, 0], foolsGold.Histories[0]);
        Assert.Equal(0.8, result.Decision.PerClient["max_cosine"][0], 12);
        Assert.Equal([1.0, 1], result.Decision.Weights!.Values);
    }

    [Fact]
    public void FoolsGoldKeepsTheGlobalWhenEveryClientLooksAlike()
    {
        float[] global = [1, 2, 3, 4];
        RobustAggregation result = new FoolsGoldAggregator().Aggregate(0, global, [Update(0, 1, Plus(global, 1, 0, 0, 0)), Update(1, 1, Plus(global, 1, 0, 0, 0))]);
        Assert.Equal(global, result.Updates[0].Weights);
        Assert.NotSame(global, result.Updates[0].Weights);
        Assert.Contains("every FoolsGold weight is 0", result.Decision.Note);
    }

    [Fact]
    public void ResidualReweightingReplacesAnOutlierByTheLineAndNearlyZeroesItsClient()
    {
        ClientUpdate[] updates =
        [
            Update(0, 1, 0, 0, 4, 5),
            Update(1, 1, 1, 1, 3, 5),
            Update(2, 1, 2, 2, 2, 5),
            Update(3, 1, 3, 3, 1, 5),
            Update(4, 1, 100, 4, 0, 5),
        ];
        RobustAggregation result = new ResidualReweightingAggregator().Aggregate(0, Zero, updates);
        // Column 0: repeated-median slope 1 (row medians 1,1,1,1,41), intercept 2 − 1·2 = 0, residuals 0,0,0,0,96.
        // M = median of {0,0,0,96} = 0, so τ = 1e-7 and the outlier's weight Z·√(1−h)/|e| ≈ 8e-10 < δ: its 100 becomes 4.
        // The column's weights (1,1,1,1,≈0) have std 0.447, the only non-zero spread; client 4's score is ≈ 0,
        // so its weight (score/max)² ≈ 7e-19. Exactly linear or constant columns weigh everyone 1 and add nothing.
        var weights = result.Decision.Weights!;
        Assert.Equal([1.0, 1, 1, 1], Enumerable.Range(0, 4).Select(i => weights[i]));
        Assert.True(weights[4] < 1e-12, $"outlier weight {weights[4]}");
        Assert.Equal(0.25, result.Decision.PerClient["replaced_share"][4]);
        Assert.Equal(0.0, result.Decision.PerClient["replaced_share"][0]);
        AssertClose([1.5, 1.5, 2.5, 5], result.Updates[0].Weights);
        Assert.Equal(100f, updates[4].Weights[0]); // the client's own vector is untouched
    }

    [Fact]
    public void ResidualReweightingWeighsEveryoneEquallyWhenNobodyStandsOut()
    {
        ClientUpdate[] updates = [Update(0, 1, 0, 6, 1, 1), Update(1, 1, 2, 4, 1, 1), Update(2, 1, 4, 2, 1, 1)];
        RobustAggregation result = new ResidualReweightingAggregator().Aggregate(0, Zero, updates);
        Assert.Equal([1.0, 1, 1], result.Decision.Weights!.Values);
        AssertClose([2, 4, 1, 1], result.Updates[0].Weights);
    }

    [Fact]
    public void RulesRejectTooFewOrDuplicateUpdates()
    {
        var krum = Assert.Throws<ArgumentException>(() => KrumAggregator.Krum(f: 1).Aggregate(0, Zero, Five[..4]));
        Assert.Contains("krum needs at least 5 updates per round, got 4", krum.Message);
        Assert.Throws<ArgumentException>(() => new BulyanAggregator(f: 1).Aggregate(0, Zero, Five));
        var duplicate = Assert.Throws<ArgumentException>(() => new CoordinateMedianAggregator().Aggregate(0, Zero, [Five[0], Five[0]]));
        Assert.Contains("Client 10 sent more than one update", duplicate.Message);
        var length = Assert.Throws<ArgumentException>(() => new CoordinateMedianAggregator().Aggregate(0, [0, 0], Five));
        Assert.Contains("Client 10 sent 4 parameters; the global vector has 2", length.Message);
    }
}
