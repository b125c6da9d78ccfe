using System.Globalization;
using System.Security.Cryptography;
using Grpc.Core;

namespace FedLlm.Transport.Server;

/// <summary>
/// Who is there: each member's current session (a second process with the same identity replaces the first) and its
/// lease. A member is present while it has a call open (a long poll) or has been in contact within the lease; a member
/// at work renews its lease. One whose lease lapses, or that leaves, is gone: its open work fails at once and later work
/// is not waited for, until it is heard from again. A restarted server gives every member one lease to come back.
/// </summary>
public sealed class MemberPresence : IDisposable
{
    private readonly object _gate = new();
    private readonly Member[] _members;
    private readonly TimeProvider _clock;
    private readonly CancellationTokenSource _stop = new();

    public MemberPresence(int clientCount, TimeSpan lease, TimeProvider? clock = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(lease, TimeSpan.Zero);
        Lease = lease;
        _clock = clock ?? TimeProvider.System;
        var now = _clock.GetUtcNow();
        _members = [.. Enumerable.Range(0, clientCount).Select(_ => new Member { LastContact = now })];
        _ = WatchAsync(_stop.Token);
    }

    public TimeSpan Lease { get; }

    /// <summary>Raised (outside the lock) when a member goes away: its lease lapsed, or it left; with the reason.</summary>
    public event Action<int, string>? WentAway;

    /// <summary>Raised when a join replaces a session that was still in use: (client id, earlier peer, new peer).</summary>
    public event Action<int, string, string>? Replaced;

    /// <summary>A new session for <paramref name="clientId"/>, replacing any earlier one; the member is present again.</summary>
    public string Join(int clientId, string peer)
    {
        string session = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        (string Peer, bool InUse)? replaced = null;
        lock (_gate)
        {
            var member = _members[clientId];
            // A session adopted after a restart is most likely this same process's, rejoining: no warning for it.
            if (member.Session is not null && !member.Adopted)
                replaced = (member.Peer ?? "?", member.OpenCalls > 0 || Since(member) < Lease);
            member.Adopted = false;
            member.Session = session;
            member.Peer = peer;
            member.OpenCalls = 0;
            member.Gone = null;
            member.LastContact = _clock.GetUtcNow();
        }
        if (replaced is (var earlier, true)) Replaced?.Invoke(clientId, earlier, peer);
        return session;
    }

    /// <summary>
    /// Checks a call's session and records the contact. A call from a replaced session is refused (its process learns
    /// another one took over); a server that restarted adopts the first session it hears from.
    /// </summary>
    public void Touch(int clientId, string? session)
    {
        lock (_gate)
        {
            var member = _members[clientId];
            if (session is null)
                throw new RpcException(new Status(StatusCode.FailedPrecondition, "the call carries no session: join first"));
            if (member.Session is null)
            {
                member.Session = session;
                member.Adopted = true;
            }
            else if (member.Session != session)
                throw new RpcException(new Status(StatusCode.FailedPrecondition,
                    $"another process with this client's identity joined (from {member.Peer}); this session was replaced"));
            member.LastContact = _clock.GetUtcNow();
            member.Gone = null;
        }
    }

    /// <summary>
    /// <see cref="Touch"/>, then marks a long poll open until disposed: a member waiting in one is present however long
    /// it waits (a dead process's connection closes, and with it the call).
    /// </summary>
    public IDisposable Open(int clientId, string? session)
    {
        lock (_gate)
        {
            Touch(clientId, session);
            _members[clientId].OpenCalls++;
        }
        return new OpenCall(this, clientId, session!);
    }

    /// <summary>The member says it cannot take part.</summary>
    public void Leave(int clientId, string reason) => GoAway(clientId, $"left: {reason}");

    /// <summary>
    /// Why the member counts as gone; null while it is present. A member that has not joined within a lease of the
    /// server's start is not waited for either (it is welcome whenever it joins).
    /// </summary>
    public string? GoneReason(int clientId)
    {
        lock (_gate) return _members[clientId].Gone;
    }

    public void Dispose()
    {
        _stop.Cancel();
        _stop.Dispose();
    }

    private void Close(int clientId, string session)
    {
        lock (_gate)
        {
            var member = _members[clientId];
            if (member.Session != session) return; // a replaced session's call: its count went with it
            member.OpenCalls = Math.Max(0, member.OpenCalls - 1);
            member.LastContact = _clock.GetUtcNow();
        }
    }

    private void GoAway(int clientId, string reason)
    {
        lock (_gate)
        {
            if (_members[clientId].Gone is not null) return;
            _members[clientId].Gone = reason;
        }
        WentAway?.Invoke(clientId, reason);
    }

    private TimeSpan Since(Member member) => _clock.GetUtcNow() - member.LastContact;

    private async Task WatchAsync(CancellationToken stop)
    {
        // A quarter of the lease between looks: a lapse is noticed within 1.25 leases.
        using var timer = new PeriodicTimer(Lease / 4, _clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                var lapsed = new List<(int Id, bool Joined)>();
                lock (_gate)
                {
                    for (int id = 0; id < _members.Length; id++)
                        if (_members[id] is { Gone: null, OpenCalls: 0 } member && Since(member) > Lease) lapsed.Add((id, member.Session is not null));
                }
                foreach (var (id, joined) in lapsed)
                    GoAway(id, joined ? string.Create(CultureInfo.InvariantCulture, $"no contact for {Lease.TotalSeconds:0.#} s (lease lapsed)") : "it has not joined");
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private sealed class Member
    {
        public string? Session { get; set; }
        public string? Peer { get; set; }
        public DateTimeOffset LastContact { get; set; }
        public int OpenCalls { get; set; }
        public string? Gone { get; set; }

        /// <summary>The session came with a call, not a join: the server restarted and took the member's word for it.</summary>
        public bool Adopted { get; set; }
    }

    private sealed class OpenCall(MemberPresence presence, int clientId, string session) : IDisposable
    {
        private int _closed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _closed, 1) == 0) presence.Close(clientId, session);
        }
    }
}
