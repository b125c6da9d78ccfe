using FedLlm.Federation.Client.Algorithms;
using FedLlm.Federation.Strategies;
using FedLlm.Training.Optimization;
using static FedLlm.Tests.Federation.StrategyTestKit;

namespace FedLlm.Tests.Federation;

public class ServerAggregationTests
{
    private static readonly float[] Global = [1, 2, 3];

    [Fact]
    public void FedAvgWeightsBySampleCount()
    {
        var strategy = StrategyRegistry.Create(Options("fedavg"));
        // (1·[2,2,5] + 3·[1,6,3]) / 4 = [5,20,14]/4
        float[] next = strategy.Aggregate(0, Global, [Update(0, 1, 2, 2, 5), Update(1, 3, 1, 6, 3)], 4);
        Assert.Equal([1.25f, 5f, 3.5f], next);
        Assert.Equal([1f, 2f, 3f], Global);
    }

    /// <summary>
    /// FedAvg's float mean gives the same bits on one thread and on all cores, and for every value whether it falls in a
    /// vector lane, the scalar tail or another block (a shorter vector moves the tail and the block edges), and it equals
    /// the documented scalar formula x₀ + Σ c_k·(x_k − x₀) with fused multiply-adds bit for bit, so runs stay identical
    /// on any CPU and any thread count.
    /// </summary>
    [Fact]
    public async Task FedAvgIsBitIdenticalAcrossThreadCountsBlocksAndLanes()
    {
        const int length = 3 * 65536 + 45;
        var random = new Random(7);
        var updates = Enumerable.Range(0, 5).Select(c => new ClientUpdate(c, 1 + random.Next(1000),
            [.. Enumerable.Range(0, length).Select(_ => (float)(random.NextDouble() * 2 - 1) * 1e3f)])).ToList();
        float[] global = new float[length];

        float[] allCores = FedAvg(global, updates);
        // Parallel.For schedules on the current task scheduler: one that runs a single task at a time makes it sequential.
        float[] oneThread = await Task.Factory.StartNew(() => FedAvg(global, updates), CancellationToken.None, TaskCreationOptions.None,
            new ConcurrentExclusiveSchedulerPair(TaskScheduler.Default, maxConcurrencyLevel: 1).ExclusiveScheduler);
        const int shorter = length - 65536 - 7;
        float[] shifted = FedAvg(new float[shorter], [.. updates.Select(u => new ClientUpdate(u.ClientId, u.SampleCount, u.Weights[..shorter]))]);

        Assert.Equal(Bits(allCores), Bits(oneThread));
        Assert.Equal(Bits(allCores)[..shorter], Bits(shifted));
        double total = updates.Sum(u => (double)u.SampleCount);
        for (int j = 0; j < length; j++)
        {
            float anchor = updates[0].Weights[j], sum = 0;
            for (int k = 1; k < updates.Count; k++)
                sum = MathF.FusedMultiplyAdd(updates[k].Weights[j] - anchor, (float)(updates[k].SampleCount / total), sum);
            Assert.Equal(BitConverter.SingleToInt32Bits(anchor + sum), BitConverter.SingleToInt32Bits(allCores[j]));
        }
    }

    /// <summary>
    /// The float mean stays within its documented bound of the exact mean, u·|mean| + (K + 2)·u·Σ_{k≥1} w_k·|x_k − x₀|
    /// with u = 2⁻²⁴, on inputs built to hurt float sums: values of 1e30 that cancel to small means, magnitudes from 1e-30
    /// to 1e30 side by side, 200 clients with skewed sample counts, and values near float's limit whose differences
    /// overflow (those blocks are redone in double and match it exactly).
    /// </summary>
    [Fact]
    public void FedAvgStaysWithinItsErrorBoundOnAdversarialInputs()
    {
        var random = new Random(11);
        const int length = 70_001;
        float Cancelling(int c, int j) => (c % 2 == 0 ? 1e30f : -1e30f) + (float)random.NextDouble();
        float Mixed(int c, int j) => (float)((random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-30, 31)));
        foreach ((int clients, Func<int, int, float> value) in new[] { (8, (Func<int, int, float>)Cancelling), (8, Mixed), (200, Mixed) })
        {
            var updates = Enumerable.Range(0, clients).Select(c => new ClientUpdate(c, 1 + (c * 7919 % 1000) * (c % 3 == 0 ? 1000 : 1),
                [.. Enumerable.Range(0, length).Select(j => value(c, j))])).ToList();
            float[] mean = FedAvg(new float[length], updates);
            double total = updates.Sum(u => (double)u.SampleCount);
            const double u = 1.0 / (1 << 24);
            for (int j = 0; j < length; j++)
            {
                double exact = 0, spread = 0;
                foreach (var update in updates)
                {
                    exact += update.SampleCount / total * update.Weights[j];
                    spread += update.SampleCount / total * Math.Abs(update.Weights[j] - (double)updates[0].Weights[j]);
                }
                // The double reference itself is off by at most K·2⁻⁵³ of the terms: 2⁻²⁹·K of a float ulp, covered by the slack.
                double bound = u * Math.Abs(exact) + (clients + 2) * u * spread * 1.001 + float.Epsilon;
                Assert.True(Math.Abs(mean[j] - exact) <= bound, $"{clients} clients, value {j}: {mean[j]} vs exact {exact}, bound {bound}");
            }
        }

        float[] huge = [.. Enumerable.Range(0, length).Select(j => j % 2 == 0 ? 3e38f : -3e38f)];
        float[] negated = Array.ConvertAll(huge, v => -v);
        float[] overflowing = FedAvg(new float[length], [new ClientUpdate(0, 1, huge), new ClientUpdate(1, 3, negated)]);
        for (int j = 0; j < length; j++) Assert.Equal((float)((1.0 * huge[j] + 3.0 * negated[j]) / 4), overflowing[j]);
    }

    private static float[] FedAvg(float[] global, IReadOnlyList<ClientUpdate> updates) =>
        StrategyRegistry.Create(Options("fedavg", totalClients: updates.Count)).Aggregate(0, global, updates, updates.Count);

    private static int[] Bits(float[] values) => Array.ConvertAll(values, BitConverter.SingleToInt32Bits);

    [Fact]
    public void FedAvgRejectsMismatchedAndDuplicateUpdates()
    {
        var strategy = StrategyRegistry.Create(Options("fedavg"));
        var wrongLength = Assert.Throws<ArgumentException>(() => strategy.Aggregate(0, Global, [Update(7, 1, 1, 2)], 4));
        Assert.Contains("Client 7 sent 2 parameters; the global vector has 3", wrongLength.Message);
        var duplicate = Assert.Throws<ArgumentException>(() => strategy.Aggregate(0, Global, [Update(1, 1, 1, 2, 3), Update(1, 1, 1, 2, 3)], 4));
        Assert.Contains("Client 1 sent more than one update", duplicate.Message);
        Assert.Throws<ArgumentException>(() => strategy.Aggregate(0, Global, [], 4));
        var zeros = Assert.Throws<ArgumentException>(() => strategy.Aggregate(0, Global, [Update(0, 0, 1, 2, 3)], 4));
        Assert.Contains("0 samples", zeros.Message);
    }

    [Fact]
    public void FedProxAggregatesLikeFedAvgAndSendsMu()
    {
        var strategy = StrategyRegistry.Create(Options("fedprox") with { ProximalMu = 0.05 });
        RoundPlan plan = strategy.PlanRound(0, Global);
        Assert.Equal(0.05, plan.ProximalMu);
        Assert.Null(plan.ScaffoldControl);
        Assert.Equal([1.25f, 5f, 3.5f], strategy.Aggregate(0, Global, [Update(0, 1, 2, 2, 5), Update(1, 3, 1, 6, 3)], 4));
        Assert.Equal(0.0, StrategyRegistry.Create(Options("fedavg")).PlanRound(0, Global).ProximalMu);
    }

    [Fact]
    public void ScaffoldControlVariatesOverTwoRounds()
    {
        var strategy = (ScaffoldStrategy)StrategyRegistry.Create(Options("scaffold", totalClients: 4) with { Schedule = ScheduleKind.Constant, LearningRate = 0.1 });
        // Each client's c_i persists across rounds (the state store keeps it between rounds in a real run).
        float[] controlA = new float[3], controlB = new float[3], controlC = new float[3];

        // Round 0: c = 0. A: (x − y)/(K·lr) = [0.2,0,−0.2]/(2·0.1) = [1,0,−1]; B: [0,0.4,0]/(4·0.1) = [0,1,0].
        float[] x0 = [1, 1, 1];
        RoundPlan plan0 = strategy.PlanRound(0, x0);
        Assert.Equal([0f, 0f, 0f], plan0.ScaffoldControl!);
        Assert.Equal(0.1, plan0.LearningRate);
        using var clientA = new ScaffoldClient(controlA, plan0.ScaffoldControl!);
        using var clientB = new ScaffoldClient(controlB, plan0.ScaffoldControl!);
        float[] yA0 = [0.8f, 1.0f, 1.2f];
        float[] yB0 = [1.0f, 0.6f, 1.0f];
        float[] dA0 = clientA.Finish(yA0, x0, stepsRun: 2, learningRate: 0.1);
        float[] dB0 = clientB.Finish(yB0, x0, stepsRun: 4, learningRate: 0.1);
        AssertClose([1, 0, -1], dA0, 1e-5);
        AssertClose([0, 1, 0], dB0, 1e-5);
        float[] x1 = strategy.Aggregate(0, x0, [ScaffoldUpdate(0, 1, yA0, dA0), ScaffoldUpdate(1, 1, yB0, dB0)], totalClients: 4);
        AssertClose([0.9, 0.8, 1.1], x1);
        // c = (Δc_A + Δc_B) / N with N = 4, not |S| = 2.
        AssertClose([0.25, 0.25, -0.25], strategy.ServerControl, 1e-6);

        // Round 1: A again (c_A = [1,0,−1], corr = c − c_A = [−0.75,0.25,0.75]) and new client C (corr = c).
        RoundPlan plan1 = strategy.PlanRound(1, x1);
        using var clientA1 = new ScaffoldClient(controlA, plan1.ScaffoldControl!);
        using var clientC = new ScaffoldClient(controlC, plan1.ScaffoldControl!);
        AssertClose([-0.75, 0.25, 0.75], clientA1.Correction, 1e-6);
        using var stepped = TorchSharp.torch.ones(3);
        clientA1.AfterOptimizerStep([stepped], 0.1);
        AssertClose([1.075, 0.975, 0.925], stepped.data<float>().ToArray(), 1e-6);
        float[] yA1 = [0.7f, 0.8f, 1.3f];
        float[] yC1 = [.. x1];
        float[] dA1 = clientA1.Finish(yA1, x1, stepsRun: 2, learningRate: 0.1);
        float[] dC1 = clientC.Finish(yC1, x1, stepsRun: 1, learningRate: 0.1);
        // c_A⁺ = [1,0,−1] − corr = [1.75,−0.25,−1.75], so Δc_A = [0.75,−0.25,−0.75]; C: Δc = −c.
        AssertClose([0.75, -0.25, -0.75], dA1, 1e-5);
        AssertClose([1.75, -0.25, -1.75], controlA, 1e-5);
        AssertClose([-0.25, -0.25, 0.25], dC1, 1e-6);
        float[] x2 = strategy.Aggregate(1, x1, [ScaffoldUpdate(0, 3, yA1, dA1), ScaffoldUpdate(2, 1, yC1, dC1)], totalClients: 4);
        AssertClose([0.75, 0.8, 1.25], x2, 1e-6);
        AssertClose([0.375, 0.125, -0.375], strategy.ServerControl, 1e-5);
    }

    [Fact]
    public void ScaffoldRequiresDeltaControl()
    {
        var strategy = StrategyRegistry.Create(Options("scaffold"));
        string? problem = UpdateValidator.For(strategy, 3).Validate(Update(3, 1, 1, 2, 3), Global);
        Assert.Equal("client 3: missing 'scaffold.delta_c'", problem);
    }

    [Fact]
    public void FedAvgMHeavyBallMomentumOverTwoRounds()
    {
        var strategy = (FedAvgMStrategy)StrategyRegistry.Create(Options("fedavgm") with { Beta1 = 0.5 });
        Assert.Equal(0.5, strategy.ServerLearningRate); // default η = 1 − β
        // Round 0: Δ = FedAvg − w = [0.25,3,0.5]; v = Δ; w += 0.5·v.
        float[] w1 = strategy.Aggregate(0, Global, [Update(0, 1, 2, 2, 5), Update(1, 3, 1, 6, 3)], 4);
        AssertClose([1.125, 3.5, 3.25], w1);
        AssertClose([0.25, 3, 0.5], strategy.Momentum);
        // Round 1: Δ = [0,0,0.5]; v = 0.5·[0.25,3,0.5] + Δ = [0.125,1.5,0.75]; w += 0.5·v.
        float[] w2 = strategy.Aggregate(1, w1, [Update(0, 1, Plus(w1, 0, 0, 1)), Update(2, 1, w1)], 4);
        AssertClose([0.125, 1.5, 0.75], strategy.Momentum);
        AssertClose([1.1875, 4.25, 3.625], w2);
    }

    [Fact]
    public void FedAvgMEmaFormMatchesOpenFedLlm()
    {
        var strategy = (FedAvgMStrategy)StrategyRegistry.Create(Options("fedavgm") with { Beta1 = 0.5, MomentumForm = FedAvgMForm.Ema });
        Assert.Equal(1.0, strategy.ServerLearningRate);
        // Round 0: m = Δ (first round), w += m → FedAvg.
        float[] w1 = strategy.Aggregate(0, Global, [Update(0, 1, 2, 2, 5), Update(1, 3, 1, 6, 3)], 4);
        AssertClose([1.25, 5, 3.5], w1);
        // Round 1: Δ = [0,0,1]; m = 0.5·[0.25,3,0.5] + 0.5·[0,0,1] = [0.125,1.5,0.75].
        float[] w2 = strategy.Aggregate(1, w1, [Update(0, 1, Plus(w1, 0, 0, 2)), Update(1, 1, w1)], 4);
        AssertClose([0.125, 1.5, 0.75], strategy.Momentum);
        AssertClose([1.375, 6.5, 4.25], w2);
    }

    // FedOpt with η = 1, τ = 1 (v₀ = 1), β1 = β2 = 0.5 (β1 = 0 for Adagrad), unweighted mean, global₀ = 0.
    // Round 0: Δ = [1,7,−1]. Round 1: Δ = [1,0,2].
    [Theory]
    [InlineData("fedadam", new[] { 0.5, 3.5, -0.5 }, new[] { 1.0, 25, 1 }, new[] { 0.25, 0.583333333, -0.25 },
        new[] { 0.75, 1.75, 0.75 }, new[] { 1.0, 12.5, 2.5 }, new[] { 0.625, 0.969175449, 0.040569415 })]
    [InlineData("fedyogi", new[] { 0.5, 3.5, -0.5 }, new[] { 1.0, 25.5, 1 }, new[] { 0.25, 0.578536067, -0.25 },
        new[] { 0.75, 1.75, 0.75 }, new[] { 1.0, 25.5, 3 }, new[] { 0.625, 0.867804101, 0.024519053 })]
    [InlineData("fedadagrad", new[] { 1.0, 7, -1 }, new[] { 2.0, 50, 2 }, new[] { 0.414213562, 0.867295402, -0.414213562 },
        new[] { 1.0, 0, 2 }, new[] { 3.0, 50, 6 }, new[] { 0.780238966, 0.867295402, 0.165582335 })]
    public void AdaptiveOptimisersTrackMomentsOverTwoRounds(
        string algorithm, double[] m0, double[] v0, double[] w1Expected, double[] m1, double[] v1, double[] w2Expected)
    {
        var options = Options(algorithm) with { ServerLearningRate = 1, Tau = 1, Beta2 = 0.5, Beta1 = algorithm == "fedadagrad" ? null : 0.5 };
        var strategy = (FedOptStrategy)StrategyRegistry.Create(options);
        float[] zero = [0, 0, 0];
        // Sample counts 1 and 100 must not matter: the paper's mean is unweighted.
        float[] w1 = strategy.Aggregate(0, zero, [Update(0, 1, 1, 6, -1), Update(1, 100, 1, 8, -1)], 4);
        AssertClose(m0, strategy.FirstMoment);
        AssertClose(v0, strategy.SecondMoment);
        AssertClose(w1Expected, w1);
        float[] w2 = strategy.Aggregate(1, w1, [Update(0, 1, Plus(w1, 2, -1, 0)), Update(1, 100, Plus(w1, 0, 1, 4))], 4);
        AssertClose(m1, strategy.FirstMoment, 1e-5);
        AssertClose(v1, strategy.SecondMoment, 1e-5);
        AssertClose(w2Expected, w2, 1e-5);
    }

    [Fact]
    public void FedAdamSecondMomentUsesDeltaSquaredNotMomentumSquared()
    {
        // With β1 = 0.5 and Δ = 2, OFL's v from m² would give 0.5·1 + 0.5·1 = 1; the paper's Δ² gives 0.5 + 0.5·4 = 2.5.
        var strategy = (FedOptStrategy)StrategyRegistry.Create(Options("fedadam") with { Tau = 1, Beta1 = 0.5, Beta2 = 0.5 });
        strategy.Aggregate(0, [0f], [Update(0, 1, 2f)], 4);
        Assert.Equal(2.5, strategy.SecondMoment[0], 12);
    }

    [Fact]
    public void FedOptCanWeightBySampleCount()
    {
        var strategy = (FedOptStrategy)StrategyRegistry.Create(Options("fedadam") with { FedOptWeighting = DeltaWeighting.BySampleCount, Beta1 = 0 });
        strategy.Aggregate(0, [0f], [Update(0, 1, 4f), Update(1, 3, 0f)], 4);
        Assert.Equal(1.0, strategy.FirstMoment[0], 12); // (1·4 + 3·0)/4
    }

    [Fact]
    public void LocalOnlyKeepsGlobalAndCanPinOneClient()
    {
        var strategy = StrategyRegistry.Create(Options("local"));
        Assert.True(strategy.IsLocalOnly);
        float[] next = strategy.Aggregate(0, Global, [Update(0, 1, 9, 9, 9)], 4);
        Assert.Equal(Global, next);
        Assert.NotSame(Global, next);
        var pinned = StrategyRegistry.Create(Options("local") with { LocalClientId = 2 });
        Assert.Equal([2], pinned.SampleClients(0, [0, 1, 2, 3], 7));
        Assert.Empty(pinned.SampleClients(0, [0, 1], 7));
    }

    [Fact]
    public void CentralTrainsOneVirtualClient()
    {
        var strategy = StrategyRegistry.Create(Options("central", totalClients: 20));
        Assert.True(strategy.IsCentral);
        Assert.Equal([CentralStrategy.VirtualClientId], strategy.SampleClients(3, [0, 5, 9], 1));
        Assert.Equal([4f, 5f, 6f], strategy.Aggregate(0, Global, [Update(0, 100, 4, 5, 6)], 20));
        var error = Assert.Throws<ArgumentException>(() => strategy.Aggregate(0, Global, [Update(3, 1, 4, 5, 6)], 20));
        Assert.Contains("virtual client 0", error.Message);
    }
}
