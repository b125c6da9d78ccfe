using FedLlm.Federation.Engine;
using FedLlm.Federation.Strategies;
using FedLlm.Transport.Server;

namespace FedLlm.Tests.Transport;

/// <summary>The server-side mailbox between the round engine and the gRPC calls, driven directly.</summary>
public class RemoteClientExecutorTests
{
    private static ClientTask Task(int round, int client) => new(round, client, [1f, 2f, 3f], new RoundPlan(round, 0.1));

    private static ClientResult Result(int client, float[] weights) =>
        new(new ClientUpdate(client, 5, weights), new ClientTrainingMetrics(1.5, 2, 8, 100, 0.1));

    [Fact]
    public async Task AClientThatReconnectsFetchesTheSameOpenTaskAndItsResultCompletesTheRound()
    {
        var executor = new RemoteClientExecutor(2, TimeSpan.FromMinutes(1));
        var running = executor.ExecuteAsync(Task(0, 1), CancellationToken.None);
        var first = await executor.WaitForTaskAsync(1, CancellationToken.None);
        var again = await executor.WaitForTaskAsync(1, CancellationToken.None); // after a dropped stream
        Assert.Same(first!.Value.Task, again!.Value.Task);
        Assert.Equal((true, (string?)null), executor.Complete(1, 0, Result(1, [1f, 2f, 4f])));
        var finished = await running;
        Assert.Equal(new[] { 1f, 2f, 4f }, finished.Update.Weights);
    }

    [Fact]
    public async Task ResultsAfterTheDeadlineOrForAnotherRoundAreRefused()
    {
        var executor = new RemoteClientExecutor(1, TimeSpan.FromMilliseconds(200));
        var expired = executor.ExecuteAsync(Task(3, 0), CancellationToken.None);
        var timeout = await Assert.ThrowsAsync<TimeoutException>(() => expired);
        Assert.Contains("round deadline", timeout.Message);
        var late = executor.Complete(0, 3, Result(0, [1f, 2f, 3f]));
        Assert.False(late.Delivered);
        Assert.Contains("late or unexpected result for round 4", late.Problem);

        var executor2 = new RemoteClientExecutor(1, TimeSpan.FromMinutes(1));
        var open = executor2.ExecuteAsync(Task(5, 0), CancellationToken.None);
        var wrongRound = executor2.Complete(0, 4, Result(0, [1f, 2f, 3f]));
        Assert.False(wrongRound.Delivered);
        Assert.Contains("round 5", wrongRound.Problem);
        Assert.False(open.IsCompleted);
        Assert.Equal((true, (string?)null), executor2.Complete(0, 5, Result(0, [1f, 2f, 3f])));
        await open;
    }

    [Fact]
    public async Task TheValidatorsReasonReachesTheSubmitterAndFinishEndsEveryWait()
    {
        var executor = new RemoteClientExecutor(2, TimeSpan.FromMinutes(1)) { Validator = (task, update) => new UpdateValidator(3).Validate(update, task.Weights) };
        var running = executor.ExecuteAsync(Task(0, 0), CancellationToken.None);
        Assert.Equal((true, "client 0: weight 1 is NaN"), executor.Complete(0, 0, Result(0, [1f, float.NaN, 3f])));
        await running;

        var waiting = executor.WaitForTaskAsync(1, CancellationToken.None);
        Assert.False(waiting.IsCompleted);
        executor.Finish();
        Assert.Null(await waiting);
    }
}
