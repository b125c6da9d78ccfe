using FedLlm.Transport.Server;
using Grpc.Core;

namespace FedLlm.Tests.Transport;

/// <summary>Sessions and leases: who the server still waits for.</summary>
public class MemberPresenceTests
{
    private static readonly TimeSpan Lease = TimeSpan.FromMilliseconds(400);

    [Fact]
    public async Task ALapsedLeaseMakesTheMemberGoneUntilItIsHeardFromAgain()
    {
        using var presence = new MemberPresence(1, Lease);
        var gone = new TaskCompletionSource<(int Id, string Reason)>();
        presence.WentAway += (id, reason) => gone.TrySetResult((id, reason));
        string session = presence.Join(0, "peer-a");
        Assert.Null(presence.GoneReason(0));
        var (id, reason) = await gone.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(0, id);
        Assert.Contains("lease lapsed", reason);
        Assert.Equal(reason, presence.GoneReason(0));
        presence.Touch(0, session);
        Assert.Null(presence.GoneReason(0));
    }

    [Fact]
    public async Task AnOpenLongPollKeepsTheMemberPresent()
    {
        using var presence = new MemberPresence(1, Lease);
        string session = presence.Join(0, "peer-a");
        using (presence.Open(0, session))
        {
            await Task.Delay(Lease * 4);
            Assert.Null(presence.GoneReason(0));
        }
    }

    [Fact]
    public void ASecondJoinReplacesTheFirstSession()
    {
        using var presence = new MemberPresence(1, TimeSpan.FromMinutes(1));
        (int, string, string)? replaced = null;
        presence.Replaced += (id, earlier, now) => replaced = (id, earlier, now);
        string first = presence.Join(0, "peer-a");
        string second = presence.Join(0, "peer-b");
        Assert.Equal((0, "peer-a", "peer-b"), replaced);
        var refused = Assert.Throws<RpcException>(() => presence.Touch(0, first));
        Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
        Assert.Contains("this session was replaced", refused.Status.Detail);
        presence.Touch(0, second);
    }

    [Fact]
    public async Task AMemberThatNeverJoinedIsNotWaitedForAfterOneLease()
    {
        using var presence = new MemberPresence(1, Lease);
        var gone = new TaskCompletionSource<string>();
        presence.WentAway += (_, reason) => gone.TrySetResult(reason);
        Assert.Null(presence.GoneReason(0));
        Assert.Equal("it has not joined", await gone.Task.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal("it has not joined", presence.GoneReason(0));
        presence.Join(0, "late");
        Assert.Null(presence.GoneReason(0));
    }
}
