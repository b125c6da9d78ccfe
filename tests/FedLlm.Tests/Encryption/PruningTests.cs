using FedLlm.Federation.Pruning;
using FedLlm.Models.Lora;

namespace FedLlm.Tests.Encryption;

public class PruningTests
{
    // Two LoRA-like tensors: "a" 2×3 at offset 0, "b" 4 at offset 6.
    private static readonly ParameterLayout Layout = new([("a", [2L, 3L]), ("b", [4L])]);
    private static readonly float[] Values = [0.5f, -0.1f, 0.3f, -0.7f, 0.1f, 0.2f, 1f, -2f, 0.05f, 3f];

    [Theory]
    [InlineData(0, 0.0)]
    [InlineData(39, 0.0)]
    [InlineData(40, 0.2)]
    [InlineData(120, 0.35)] // 0.2 + 0.3·80/160
    [InlineData(199, 0.498125)] // 0.2 + 0.3·159/160
    [InlineData(200, 0.5)]
    [InlineData(1000, 0.5)]
    public void FedShieldScheduleRisesLinearlyFromP0ToP1(int round, double expected)
    {
        Assert.Equal(expected, new PruningSchedule().RateAt(round), 12);
    }

    [Fact]
    public void ScheduleIsConfigurableAndHandlesAnInstantRamp()
    {
        var schedule = new PruningSchedule(0.1, 0.3, 2, 4);
        Assert.Equal([0.0, 0.0, 0.1, 0.2, 0.3, 0.3], Enumerable.Range(0, 6).Select(r => Math.Round(schedule.RateAt(r), 12)));
        Assert.Equal(0.4, new PruningSchedule(0.2, 0.4, 3, 3).RateAt(3));
        Assert.NotEmpty(new PruningSchedule(0.2, 1.0, 5, 3).Validate());
    }

    [Theory]
    [InlineData(10, 0.35, 4)] // round(3.5) = 4 (ties to even)
    [InlineData(10, 0.25, 2)] // round(2.5) = 2
    [InlineData(6, 0.5, 3)]
    [InlineData(7, 0.0, 0)]
    public void PrunedCountRoundsLikeTorchPrune(long length, double rate, long expected)
    {
        Assert.Equal(expected, PruningSchedule.PrunedCount(length, rate));
    }

    [Fact]
    public void PerTensorMagnitudePruningZeroesTheSmallestEntriesOfEachTensor()
    {
        float[] values = [.. Values];
        long pruned = MagnitudePruner.PruneInPlace(values, Layout, 0.5);

        // a: |·| = .5 .1 .3 .7 .1 .2 → prune 3: indices 1, 4 (tie, lower index first) and 5.  b: prune 2: indices 2 and 0.
        Assert.Equal(5, pruned);
        Assert.Equal([0.5f, 0f, 0.3f, -0.7f, 0f, 0f, 0f, -2f, 0f, 3f], values);
    }

    [Fact]
    public void MagnitudeTiesAreBrokenByIndex()
    {
        float[] values = [.. Values];
        MagnitudePruner.PruneInPlace(values, Layout, 1.0 / 6); // a: 1 entry; b: round(0.667) = 1 entry
        Assert.Equal([0.5f, 0f, 0.3f, -0.7f, 0.1f, 0.2f, 1f, -2f, 0f, 3f], values);
    }

    [Fact]
    public void MaskFromGlobalMagnitudesKeepsTheLargestPerTensor()
    {
        var mask = SharedPruningMask.FromGlobalMagnitudes(Layout, Values, 0.5);

        Assert.Equal([0, 2, 3, 7, 9], mask.KeptIndices);
        float[] full = [.. Enumerable.Range(0, 10).Select(i => (float)i)];
        Assert.Equal([0f, 2f, 3f, 7f, 9f], mask.Gather(full));

        float[] global = new float[10];
        mask.ScatterAdd([1f, 2f, 3f, 4f, 5f], global);
        Assert.Equal([1f, 0f, 2f, 3f, 0f, 0f, 0f, 4f, 0f, 5f], global);
    }

    [Fact]
    public void MaskFromRoundSeedIsSharedDeterministicAndKeepsTheRightCountPerTensor()
    {
        var first = SharedPruningMask.FromRoundSeed(Layout, 0.35, runSeed: 9, round: 3);
        var again = SharedPruningMask.FromRoundSeed(Layout, 0.35, runSeed: 9, round: 3);

        // a keeps 6 − round(2.1) = 4, b keeps 4 − round(1.4) = 3.
        Assert.Equal(7, SharedPruningMask.KeptCountFor(Layout, 0.35));
        Assert.Equal(7, first.KeptCount);
        Assert.Equal(first.KeptIndices, again.KeptIndices);
        Assert.Equal(4, first.KeptIndices.Count(i => i < 6));
        Assert.Equal(3, first.KeptIndices.Count(i => i >= 6));
        Assert.Equal(first.KeptIndices.Order(), first.KeptIndices);
        Assert.Equal(first.KeptIndices.Distinct().Count(), first.KeptCount);
        var rounds = Enumerable.Range(0, 20).Select(r => string.Join(",", SharedPruningMask.FromRoundSeed(Layout, 0.35, 9, r).KeptIndices)).Distinct();
        Assert.True(rounds.Count() > 1, "the mask should change from round to round");
    }

    [Fact]
    public void PlanSendsTheWholeVectorUnlessTheMaskIsShared()
    {
        var schedule = new PruningSchedule(0.5, 0.5, 0, 0);
        var none = new PruningPlan(PruningMode.None, schedule, Layout, 1);
        var perTensor = new PruningPlan(PruningMode.PerTensor, schedule, Layout, 1);
        var shared = new PruningPlan(PruningMode.SharedMask, schedule, Layout, 1);

        Assert.Equal(10, none.UploadLength(0));
        Assert.Equal(Values, none.PrepareUpload(0, Values));
        Assert.Equal(10, perTensor.UploadLength(0));
        Assert.Equal([0.5f, 0f, 0.3f, -0.7f, 0f, 0f, 0f, -2f, 0f, 3f], perTensor.PrepareUpload(0, Values));
        Assert.Equal(5, shared.UploadLength(0));
        float[] upload = shared.PrepareUpload(0, Values);
        Assert.Equal(shared.MaskFor(0)!.KeptIndices.Select(i => Values[i]), upload);

        double[] mean = shared.ExpandMean(0, upload);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => shared.MaskFor(0)!.KeptIndices.Contains(i) ? (double)Values[i] : 0.0), mean);
    }
}
