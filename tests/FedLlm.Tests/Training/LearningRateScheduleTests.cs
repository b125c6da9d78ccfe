using FedLlm.Federation.Strategies;
using FedLlm.Training.Optimization;

namespace FedLlm.Tests.Training;

/// <summary>The one schedule: per optimiser step in <c>train</c>, per round in a federated run.</summary>
public class LearningRateScheduleTests
{
    [Theory]
    [InlineData(0, 1e-4)]
    [InlineData(3, 7.959536998847742e-05)] // 1e-6 + 0.5·(9.9e-5)·(1 + cos(0.3π))
    [InlineData(5, 5.05e-5)]
    [InlineData(10, 1e-6)]
    [InlineData(12, 1e-6)]
    public void CosineFollowsOpenFedLlm(int round, double expected)
    {
        var schedule = new LearningRateSchedule(ScheduleKind.Cosine, 1e-4, 10, 0, 1e-6);
        Assert.Equal(expected, schedule.At(round), 1e-15);
    }

    [Fact]
    public void ConstantIsConstantAndPlansCarryTheRate()
    {
        Assert.Equal(3e-5, new LearningRateSchedule(ScheduleKind.Constant, 3e-5, 10).At(77));
        var strategy = StrategyRegistry.Create(new StrategyOptions { Algorithm = "fedavg", TotalClients = 2, LearningRate = 1e-4, MinLearningRate = 1e-6, TotalRounds = 10 });
        Assert.Equal(5.05e-5, strategy.PlanRound(5, [0f]).LearningRate, 1e-15);
    }

    [Fact]
    public void WarmupRisesLinearlyThenLinearDecayReachesTheFloor()
    {
        var schedule = new LearningRateSchedule(ScheduleKind.Linear, 1.0, 12, warmupSteps: 2, minLearningRate: 0.1);
        Assert.Equal([0.5, 1.0, 1.0, 0.91, 0.1, 0.1], [.. new[] { 0, 1, 2, 3, 12, 20 }.Select(s => Math.Round(schedule.At(s), 12))]);
    }

    [Fact]
    public void InvalidSchedulesAreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new LearningRateSchedule(ScheduleKind.Cosine, 0, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LearningRateSchedule(ScheduleKind.Cosine, 1e-4, 10, 0, 1e-3));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LearningRateSchedule(ScheduleKind.Cosine, 1e-4, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LearningRateSchedule(ScheduleKind.Constant, -1, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LearningRateSchedule(ScheduleKind.Constant, 1, 10).At(-1));
    }
}
