namespace FedLlm.Transport.Server;

/// <summary>
/// Passes the shared HE key from the key holder to the other members without being able to read it: members register
/// their key-exchange public key at join; the key holder collects the waiting ones, seals the key to each and posts the
/// sealed shares (or refuses a key it has not pinned for that member); each member collects its own share or the
/// refusal. Only public keys and sealed shares ever pass through here (memory only: after a server restart, members that
/// already hold the key do not ask again).
/// </summary>
public sealed class KeyRelay
{
    private readonly object _gate = new();
    private readonly Dictionary<int, Member> _members = [];
    private TaskCompletionSource _changed = NewSignal();
    private bool _finished;

    /// <summary>A member waiting for the key: its id, name and the public key to seal to.</summary>
    public sealed record Request(int ClientId, string Name, byte[] PublicKey);

    /// <summary>Records a member's current public key; a new key (a member that lost its state) needs a new share.</summary>
    public void Register(int clientId, string name, byte[] publicKey)
    {
        ArgumentNullException.ThrowIfNull(publicKey);
        lock (_gate)
        {
            if (_members.TryGetValue(clientId, out var known) && known.PublicKey.AsSpan().SequenceEqual(publicKey)) return;
            _members[clientId] = new Member(name, publicKey);
            Signal();
        }
    }

    /// <summary>Members (other than <paramref name="keyHolder"/>) with no share for their current key; waits up to <paramref name="wait"/> for one.</summary>
    public Task<(IReadOnlyList<Request> Requests, bool Finished)> WaitForRequestsAsync(int keyHolder, TimeSpan wait, CancellationToken cancellation) =>
        WaitAsync<(IReadOnlyList<Request>, bool)>(() =>
        {
            var pending = _members.Where(m => m.Key != keyHolder && m.Value.Share is null && !m.Value.Refused)
                .Select(m => new Request(m.Key, m.Value.Name, m.Value.PublicKey)).ToList();
            return (pending.Count > 0 || _finished, (pending, _finished));
        }, ([], false), wait, cancellation);

    /// <summary>Stores shares sealed to members' current keys; a share for a key the member no longer uses is dropped. Returns the ids kept.</summary>
    public IReadOnlyList<int> Post(IEnumerable<(int ClientId, byte[] PublicKey, byte[] Sealed)> shares)
    {
        ArgumentNullException.ThrowIfNull(shares);
        var kept = new List<int>();
        lock (_gate)
        {
            foreach (var (clientId, publicKey, sealedShare) in shares)
            {
                if (!_members.TryGetValue(clientId, out var member) || !member.PublicKey.AsSpan().SequenceEqual(publicKey) || sealedShare.Length == 0) continue;
                _members[clientId] = member with { Share = sealedShare, Refused = false };
                kept.Add(clientId);
            }
            if (kept.Count > 0) Signal();
        }
        return kept;
    }

    /// <summary>
    /// The key holder refused the member's current key (not pinned for it): it is not asked for again until the member
    /// registers another key. False when the key is no longer the member's.
    /// </summary>
    public bool Refuse(int clientId, byte[] publicKey)
    {
        ArgumentNullException.ThrowIfNull(publicKey);
        lock (_gate)
        {
            if (!_members.TryGetValue(clientId, out var member) || !member.PublicKey.AsSpan().SequenceEqual(publicKey)) return false;
            _members[clientId] = member with { Share = null, Refused = true };
            Signal();
            return true;
        }
    }

    /// <summary>
    /// The member's sealed share, or the key holder's refusal of its key, waiting up to <paramref name="wait"/>; neither
    /// if the key holder has not answered (yet, or before the run finished).
    /// </summary>
    public Task<(byte[]? Share, bool Refused, bool Finished)> WaitForShareAsync(int clientId, TimeSpan wait, CancellationToken cancellation) =>
        WaitAsync<(byte[]?, bool, bool)>(() =>
        {
            var member = _members.GetValueOrDefault(clientId);
            bool refused = member?.Refused ?? false;
            return (member?.Share is not null || refused || _finished, (member?.Share, refused, _finished));
        }, (null, false, false), wait, cancellation);

    /// <summary>The run is over: waiting calls return at once.</summary>
    public void Finish()
    {
        lock (_gate)
        {
            _finished = true;
            Signal();
        }
    }

    /// <summary>Long-poll: re-runs <paramref name="check"/> (under the lock) at every change until it is done or <paramref name="wait"/> ends.</summary>
    private async Task<T> WaitAsync<T>(Func<(bool Done, T Value)> check, T onTimeout, TimeSpan wait, CancellationToken cancellation)
    {
        var until = DateTimeOffset.UtcNow + wait;
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                var (done, value) = check();
                if (done) return value;
                changed = _changed.Task;
            }
            var left = until - DateTimeOffset.UtcNow;
            if (left <= TimeSpan.Zero) return onTimeout;
            try
            {
                await changed.WaitAsync(left, cancellation);
            }
            catch (TimeoutException)
            {
                return onTimeout;
            }
        }
    }

    private void Signal()
    {
        var previous = _changed;
        _changed = NewSignal();
        previous.TrySetResult();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private sealed record Member(string Name, byte[] PublicKey, byte[]? Share = null, bool Refused = false);
}
