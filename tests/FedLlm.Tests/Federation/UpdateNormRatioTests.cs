using FedLlm.Federation.Engine;
using FedLlm.Federation.Strategies;

namespace FedLlm.Tests.Federation;

/// <summary>The default relative norm bound: one client cannot dominate a round by the sheer size of its update.</summary>
public class UpdateNormRatioTests
{
    private sealed class FixedUpdates(Func<ClientTask, float[]> weights) : IClientExecutor
    {
        public Task<ClientResult> ExecuteAsync(ClientTask task, CancellationToken cancellation) =>
            Task.FromResult(new ClientResult(new ClientUpdate(task.ClientId, 10, weights(task)), new ClientTrainingMetrics(0, 1, 1, 1, 0)));
    }

    private static RoundEngine Engine(int clients, double ratio) =>
        new(StrategyRegistry.Create(StrategyTestKit.Options("fedavg", clients)), [.. Enumerable.Range(0, clients)], clients, 1, parameterCount: 2)
        {
            MaxUpdateNormRatio = ratio,
        };

    /// <summary>Client 3 moves 1000 times as far as the others.</summary>
    private static float[] Moves(ClientTask task) => task.ClientId == 3 ? [1000f, 0] : [1f + task.ClientId * 0.1f, 0];

    [Fact]
    public async Task AnOutsizedUpdateIsRejectedWithTheBoundInTheReason()
    {
        var outcome = await Engine(4, 10).RunRoundAsync(0, [0, 0], new FixedUpdates(Moves));
        var rejected = Assert.Single(outcome.Rejected);
        Assert.Equal(3, rejected.ClientId);
        Assert.Contains("above max_update_norm_ratio 10 × the round's median", rejected.Reason);
        Assert.Equal(3, outcome.Accepted.Count);
        Assert.True(outcome.Global[0] < 2, "the outsized update must not move the global");
    }

    [Fact]
    public async Task OffOrWithFewerThanThreeUpdatesNothingIsRejected()
    {
        Assert.Empty((await Engine(4, 0).RunRoundAsync(0, [0, 0], new FixedUpdates(Moves))).Rejected);
        // Two updates have no majority to set a median by.
        var two = await Engine(2, 10).RunRoundAsync(0, [0, 0], new FixedUpdates(t => t.ClientId == 1 ? [1000f, 0] : [1f, 0]));
        Assert.Empty(two.Rejected);
    }

    [Fact]
    public async Task HonestSpreadStaysWithinTheBound()
    {
        var spread = await Engine(5, 10).RunRoundAsync(0, [0, 0], new FixedUpdates(t => [1f + 2f * t.ClientId, 0]));
        Assert.Empty(spread.Rejected);
    }
}
