using FedLlm.Federation.Client;
using FedLlm.Federation.Engine;
using FedLlm.Federation.Strategies;
using FedLlm.Transport.Protocol;
using FedLlm.Transport.Server;

namespace FedLlm.Tests.Transport;

/// <summary>The server-side mailbox between the run driver and the gRPC calls, driven directly.</summary>
public class RemoteClientExecutorTests
{
    private static ClientTask Task(int round, int client) => new(round, client, [1f, 2f, 3f], new RoundPlan(round, 0.1));

    private static MemberAnswer Result(int client, float[] weights) =>
        new MemberAnswer.Trained(new ClientResult(new ClientUpdate(client, 5, weights), new ClientTrainingMetrics(1.5, 2, 8, 100, 0.1)));

    [Fact]
    public async Task AClientThatReconnectsFetchesTheSameOpenTaskAndItsResultCompletesTheRound()
    {
        var executor = new RemoteClientExecutor(2, TimeSpan.FromMinutes(1));
        var running = executor.ExecuteAsync(Task(0, 1), CancellationToken.None);
        var first = await executor.WaitForTaskAsync(1, () => { }, CancellationToken.None);
        var again = await executor.WaitForTaskAsync(1, () => { }, CancellationToken.None); // after a dropped stream
        Assert.Same(first!.Value.Work, again!.Value.Work);
        Assert.Equal((true, (string?)null), executor.Complete(1, 0, TaskKind.Train, Result(1, [1f, 2f, 4f])));
        var finished = await running;
        Assert.Equal(new[] { 1f, 2f, 4f }, finished.Update.Weights);
    }

    [Fact]
    public async Task ResultsAfterTheDeadlineOrForAnotherRoundOrKindAreRefused()
    {
        var executor = new RemoteClientExecutor(1, TimeSpan.FromMilliseconds(200));
        var expired = executor.ExecuteAsync(Task(3, 0), CancellationToken.None);
        var timeout = await Assert.ThrowsAsync<TimeoutException>(() => expired);
        Assert.Contains("round deadline", timeout.Message);
        var late = executor.Complete(0, 3, TaskKind.Train, Result(0, [1f, 2f, 3f]));
        Assert.False(late.Delivered);
        Assert.Contains("late or unexpected answer for round 4", late.Problem);

        var executor2 = new RemoteClientExecutor(1, TimeSpan.FromMinutes(1));
        var open = executor2.ExecuteAsync(Task(5, 0), CancellationToken.None);
        var wrongRound = executor2.Complete(0, 4, TaskKind.Train, Result(0, [1f, 2f, 3f]));
        Assert.False(wrongRound.Delivered);
        Assert.Contains("round 5", wrongRound.Problem);
        Assert.False(executor2.Complete(0, 5, TaskKind.Evaluate, new MemberAnswer.Evaluated(new ClientScore(0, 1, 0, 1))).Delivered);
        Assert.False(open.IsCompleted);
        Assert.Equal((true, (string?)null), executor2.Complete(0, 5, TaskKind.Train, Result(0, [1f, 2f, 3f])));
        await open;
    }

    [Fact]
    public async Task TheEnginesOneCheckReachesTheSubmitterAndTheRoundReusesItsVerdict()
    {
        var strategy = new FedAvgStrategy(new StrategyOptions { Algorithm = "fedavg", TotalClients = 2 });
        var engine = new RoundEngine(strategy, [0, 1], 2, runSeed: 1, parameterCount: 3);
        var executor = new RemoteClientExecutor(2, TimeSpan.FromMinutes(1));
        executor.Attach(engine);
        var running = executor.ExecuteAsync(Task(0, 0), CancellationToken.None);
        Assert.Equal((true, "client 0: weight 1 is NaN"), executor.Complete(0, 0, TaskKind.Train, Result(0, [1f, float.NaN, 3f])));
        var result = await running;
        Assert.Equal("client 0: weight 1 is NaN", result.Verdict!.Problem);

        var waiting = executor.WaitForTaskAsync(1, () => { }, CancellationToken.None);
        Assert.False(waiting.IsCompleted);
        executor.Finish();
        Assert.Null(await waiting);
    }

    [Fact]
    public async Task UnderDpSgdAnUpdateWithoutItsPrivacyReportIsRefusedAndTheSubmitterHearsWhy()
    {
        var strategy = new FedAvgStrategy(new StrategyOptions { Algorithm = "fedavg", TotalClients = 2 });
        var engine = new RoundEngine(strategy, [0, 1], 2, runSeed: 1, parameterCount: 3) { RequiresClientPrivacy = true };
        var executor = new RemoteClientExecutor(2, TimeSpan.FromMinutes(1));
        executor.Attach(engine);
        var running = executor.ExecuteAsync(Task(0, 0), CancellationToken.None);
        var (delivered, problem) = executor.Complete(0, 0, TaskKind.Train, Result(0, [1f, 2f, 4f]));
        Assert.True(delivered);
        Assert.Equal("client 0: no DP-SGD privacy report with the update, and privacy.mode dp_sgd accepts only updates that carry one", problem);
        Assert.Equal(problem, (await running).Verdict!.Problem);

        var report = new ClientPrivacyReport(Epsilon: 1.2, Delta: 1e-5, NoiseMultiplier: 1, SampleRate: 0.1, TotalSteps: 2);
        var privateResult = new ClientResult(new ClientUpdate(1, 5, [1f, 2f, 4f]), new ClientTrainingMetrics(1.5, 2, 8, 100, 0.1, report));
        Assert.Null(engine.Check(Task(0, 1), privateResult));
        Assert.Null(new RoundEngine(strategy, [0, 1], 2, runSeed: 1, parameterCount: 3).Check(Task(0, 0), new ClientResult(new ClientUpdate(0, 5, [1f, 2f, 4f]), privateResult.Metrics with { Privacy = null })));
    }

    [Fact]
    public async Task AFailureReportEndsTheMembersPartAtOnceAndEvaluationsReturnScores()
    {
        var executor = new RemoteClientExecutor(1, TimeSpan.FromMinutes(10));
        var running = executor.ExecuteAsync(Task(2, 0), CancellationToken.None);
        Assert.True(executor.Complete(0, 2, TaskKind.Train, new MemberAnswer.Failed("privacy budget exhausted")).Delivered);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => running);
        Assert.Contains("privacy budget exhausted", error.Message);

        var evaluation = executor.EvaluateAsync(Task(2, 0), evaluateBase: false, CancellationToken.None);
        var open = await executor.WaitForTaskAsync(0, () => { }, CancellationToken.None);
        Assert.Equal(TaskKind.Evaluate, open!.Value.Work.Kind);
        executor.Complete(0, 2, TaskKind.Evaluate, new MemberAnswer.Evaluated(new ClientScore(0, 0.5, 0.25, 8)));
        Assert.Equal(new ClientScore(0, 0.5, 0.25, 8), await evaluation);
    }
}
