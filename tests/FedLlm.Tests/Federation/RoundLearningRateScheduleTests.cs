using FedLlm.Federation.Strategies;

namespace FedLlm.Tests.Federation;

public class RoundLearningRateScheduleTests
{
    [Theory]
    [InlineData(0, 1e-4)]
    [InlineData(3, 7.959536998847742e-05)] // 1e-6 + 0.5·(9.9e-5)·(1 + cos(0.3π))
    [InlineData(5, 5.05e-5)]
    [InlineData(10, 1e-6)]
    [InlineData(12, 1e-6)]
    public void CosineFollowsOpenFedLlm(int round, double expected)
    {
        var schedule = RoundLearningRateSchedule.Cosine(1e-4, 1e-6, 10);
        Assert.Equal(expected, schedule.LearningRateAt(round), 1e-15);
    }

    [Fact]
    public void ConstantIsConstantAndPlansCarryTheRate()
    {
        Assert.Equal(3e-5, RoundLearningRateSchedule.Constant(3e-5).LearningRateAt(77));
        var strategy = StrategyFactory.Create(new StrategyOptions { Algorithm = "fedavg", TotalClients = 2, LearningRate = 1e-4, MinLearningRate = 1e-6, TotalRounds = 10 });
        Assert.Equal(5.05e-5, strategy.PlanRound(5, [0f]).LearningRate, 1e-15);
    }

    [Fact]
    public void InvalidSchedulesAreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => RoundLearningRateSchedule.Cosine(0, 0, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => RoundLearningRateSchedule.Cosine(1e-4, 1e-3, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => RoundLearningRateSchedule.Cosine(1e-4, 1e-6, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => RoundLearningRateSchedule.Constant(-1));
    }
}
