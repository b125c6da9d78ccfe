using FedLlm.Federation.Engine;
using FedLlm.Federation.Robust;
using FedLlm.Federation.Strategies;
using static FedLlm.Tests.Federation.StrategyTestKit;

namespace FedLlm.Tests.Federation.Robust;

/// <summary>The wrapper in the unchanged round engine: one poisoning client among five, with and without a robust rule.</summary>
public class RobustRoundEngineTests
{
    /// <summary>Client i moves every weight by 0.01·(i + 1); client 4 instead by +100 (a crude poisoning update).</summary>
    private sealed class OneBadClient : IClientExecutor
    {
        public Task<ClientResult> ExecuteAsync(ClientTask task, CancellationToken cancellation)
        {
            float step = task.ClientId == 4 ? 100f : 0.01f * (task.ClientId + 1);
            float[] weights = [.. task.Weights.Select(w => w + step)];
            return Task.FromResult(new ClientResult(new ClientUpdate(task.ClientId, 10, weights), new ClientTrainingMetrics(1.0, 1, 10, 100, 0.1)));
        }
    }

    private static async Task<(RoundOutcome Outcome, ServerStrategy Strategy)> OneRound(RobustAggregator? rule)
    {
        ServerStrategy fedAvg = StrategyRegistry.Create(Options("fedavg", totalClients: 5));
        ServerStrategy strategy = rule is null ? fedAvg : new RobustServerStrategy(fedAvg, rule);
        var engine = new RoundEngine(strategy, [0, 1, 2, 3, 4], 5, runSeed: 3, parameterCount: 4);
        return (await engine.RunRoundAsync(0, [0, 0, 0, 0], new OneBadClient()), strategy);
    }

    [Fact]
    public async Task MedianKeepsThePoisonOutWhereFedAvgLetsItIn()
    {
        var (plain, _) = await OneRound(null);
        Assert.True(plain.Global[0] > 19, $"FedAvg moved to {plain.Global[0]}");

        var (robust, strategy) = await OneRound(new CoordinateMedianAggregator());
        AssertClose([0.03, 0.03, 0.03, 0.03], robust.Global); // median of 0.01 … 0.04 and 100
        Assert.Equal(RobustRules.Median, ((RobustServerStrategy)strategy).LastDecision!.Rule);
    }

    [Fact]
    public async Task KrumsChoiceIsThereForTheRoundRecord()
    {
        var (outcome, strategy) = await OneRound(KrumAggregator.Krum(f: 1));
        RobustDecision decision = ((RobustServerStrategy)strategy).LastDecision!;
        // Steps 0.01 … 0.04 sit 0.01 apart: with 2 neighbours the middle clients 1 and 2 score (nearly) alike and the
        // first listed wins; client 4, 100 away, is never a candidate.
        Assert.Equal([1], decision.Kept!);
        Assert.Contains(4, decision.Dropped);
        AssertClose([0.02, 0.02, 0.02, 0.02], outcome.Global);
    }
}
