using FedLlm.Federation.Client;
using FedLlm.Federation.Engine;
using FedLlm.Federation.Runs;
using FedLlm.Transport.Protocol;

namespace FedLlm.Transport.Server;

/// <summary>
/// The network transport behind the run driver: work for a member (a training task or an evaluation) is posted to that
/// member's slot, where its FetchTask call picks it up; its SubmitResult completes the wait. Work stays open until its
/// answer or the deadline, so a member that drops mid-round and reconnects in time can fetch it again; any answer for
/// work that is no longer open is late and refused. Training updates are checked on arrival with the engine's one
/// check, so the member hears the same reason the run records. Work for a member that is gone (<paramref name="goneReason"/>:
/// it left, or its lease lapsed) fails at once instead of waiting for the deadline.
/// </summary>
public sealed class RemoteClientExecutor(int clientCount, TimeSpan roundDeadline, Func<int, string?>? goneReason = null) : IClientExecutor, IEngineAware
{
    private readonly object _gate = new();
    private readonly Slot[] _slots = [.. Enumerable.Range(0, clientCount).Select(_ => new Slot())];
    private readonly HashSet<int> _joined = [];
    private TaskCompletionSource _joinedChanged = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private RoundEngine? _engine;
    private bool _finished;

    public void Attach(RoundEngine engine) => _engine = engine;

    public async Task<ClientResult> ExecuteAsync(ClientTask task, CancellationToken cancellation) =>
        await PostAsync(new MemberTask(TaskKind.Train, task), cancellation) switch
        {
            MemberAnswer.Trained trained => trained.Result,
            MemberAnswer.Failed failed => throw new InvalidOperationException(failed.Reason),
            var other => throw new InvalidOperationException($"answered a training task with {other.GetType().Name}"),
        };

    /// <summary>A member's score of <paramref name="task"/>'s weights (or the base model) on its held-out data; null when it did not answer in time.</summary>
    public async Task<ClientScore?> EvaluateAsync(ClientTask task, bool evaluateBase, CancellationToken cancellation)
    {
        try
        {
            return await PostAsync(new MemberTask(TaskKind.Evaluate, task, evaluateBase), cancellation) is MemberAnswer.Evaluated evaluated ? evaluated.Score : null;
        }
        catch (TimeoutException)
        {
            return null;
        }
    }

    private async Task<MemberAnswer> PostAsync(MemberTask work, CancellationToken cancellation)
    {
        var slot = SlotOf(work.Task.ClientId);
        if (goneReason?.Invoke(work.Task.ClientId) is { } gone) return new MemberAnswer.Failed($"not waited for: {gone}");
        var answer = new TaskCompletionSource<MemberAnswer>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            slot.Work = work;
            slot.Answer = answer;
            slot.Deadline = DateTimeOffset.UtcNow + roundDeadline;
            slot.Wake();
        }
        try
        {
            return await answer.Task.WaitAsync(roundDeadline, cancellation);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"no result within the round deadline of {roundDeadline.TotalSeconds:0.#} s");
        }
        finally
        {
            lock (_gate)
            {
                if (ReferenceEquals(slot.Answer, answer))
                {
                    slot.Work = null;
                    slot.Answer = null;
                }
            }
        }
    }

    /// <summary>Records that a client has joined, for <see cref="WaitForJoinedAsync"/>.</summary>
    public void MarkJoined(int clientId)
    {
        lock (_gate)
        {
            SlotOf(clientId); // range check
            _joined.Add(clientId);
            JoinedChanged();
        }
    }

    /// <summary>
    /// Waits until at least <paramref name="minimumJoined"/> distinct clients have joined, and at least
    /// <paramref name="count"/> have joined or are gone (a member that has not joined within a lease is not waited for:
    /// the rounds go on without it, as the server's log says, and it is welcome whenever it joins). Members started
    /// long after the server are still awaited up to <paramref name="minimumJoined"/>, so round 1 is not lost to them.
    /// </summary>
    public async Task WaitForJoinedAsync(int count, int minimumJoined, CancellationToken cancellation)
    {
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                int settled = Enumerable.Range(0, _slots.Length).Count(id => _joined.Contains(id) || goneReason?.Invoke(id) is not null);
                if (_joined.Count >= minimumJoined && settled >= count) return;
                changed = _joinedChanged.Task;
            }
            await changed.WaitAsync(cancellation);
        }
    }

    private void JoinedChanged()
    {
        _joinedChanged.TrySetResult();
        _joinedChanged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>
    /// Waits for this client's open work; null once the run is over. <paramref name="stillEntitled"/> runs at every wake-up
    /// and throws when the caller may no longer wait (its session was replaced).
    /// </summary>
    public async Task<(MemberTask Work, DateTimeOffset Deadline)?> WaitForTaskAsync(int clientId, Action stillEntitled, CancellationToken cancellation)
    {
        var slot = SlotOf(clientId);
        while (true)
        {
            stillEntitled();
            Task changed;
            lock (_gate)
            {
                if (slot.Work is { } open) return (open, slot.Deadline);
                if (_finished) return null;
                changed = slot.Changed.Task;
            }
            await changed.WaitAsync(cancellation);
        }
    }

    /// <summary>
    /// Hands a member's answer to the waiting round. <c>Delivered</c> is false for a late or unexpected answer;
    /// <c>Problem</c> is the engine's reason when the round will reject the update, or <paramref name="refused"/> when the
    /// server's own policy already refused it (the engine's check is then not run).
    /// </summary>
    public (bool Delivered, string? Problem) Complete(int clientId, int round, TaskKind kind, MemberAnswer answer, string? refused = null)
    {
        var slot = SlotOf(clientId);
        MemberTask open;
        TaskCompletionSource<MemberAnswer> waiting;
        lock (_gate)
        {
            if (slot.Work is not { } work || work.Task.Round != round || work.Kind != kind || slot.Answer is null)
                return (false, $"late or unexpected answer for round {round + 1}: the server is not waiting for one from this client");
            (open, waiting) = (work, slot.Answer);
            slot.Work = null;
        }
        string? problem = null;
        if (answer is MemberAnswer.Trained trained)
        {
            // The engine's one check, done here (outside the lock: it is O(parameters)) so the client hears the reason.
            problem = refused ?? _engine?.Check(open.Task, trained.Result);
            answer = new MemberAnswer.Trained(trained.Result with { Verdict = new UpdateVerdict(problem) });
        }
        waiting.TrySetResult(answer);
        return (true, problem);
    }

    /// <summary>The member's open work (if any) fails now with <paramref name="reason"/>: the round goes on without it.</summary>
    public void FailOpenWork(int clientId, string reason)
    {
        TaskCompletionSource<MemberAnswer>? waiting;
        lock (_gate)
        {
            var slot = SlotOf(clientId);
            waiting = slot.Answer;
            slot.Work = null;
            slot.Answer = null;
            JoinedChanged(); // a member given up on before it joined is no longer waited for
        }
        waiting?.TrySetResult(new MemberAnswer.Failed(reason));
    }

    /// <summary>Wakes the member's waiting FetchTask calls (e.g. to refuse a replaced session).</summary>
    public void Wake(int clientId)
    {
        lock (_gate) SlotOf(clientId).Wake();
    }

    /// <summary>Ends the run: every waiting and future FetchTask call learns there is nothing more to do.</summary>
    public void Finish()
    {
        lock (_gate)
        {
            _finished = true;
            foreach (var slot in _slots) slot.Wake();
        }
    }

    private Slot SlotOf(int clientId) => clientId >= 0 && clientId < _slots.Length
        ? _slots[clientId]
        : throw new KeyNotFoundException($"no client with id {clientId}");

    private sealed class Slot
    {
        public MemberTask? Work { get; set; }
        public TaskCompletionSource<MemberAnswer>? Answer { get; set; }
        public DateTimeOffset Deadline { get; set; }
        public TaskCompletionSource Changed { get; private set; } = NewSignal();

        /// <summary>Releases every waiter and arms a fresh signal for the next change.</summary>
        public void Wake()
        {
            var previous = Changed;
            Changed = NewSignal();
            previous.TrySetResult();
        }

        private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
