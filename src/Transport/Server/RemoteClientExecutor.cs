using FedLlm.Federation.Engine;
using FedLlm.Federation.Strategies;

namespace FedLlm.Transport.Server;

/// <summary>
/// The network transport behind the round engine: a task for a client is posted to that client's slot, where the
/// client's FetchTask call picks it up; its SubmitResult completes the engine's wait. A task stays open until its
/// result or the round deadline, so a client that drops mid-round and reconnects in time can fetch it again; any
/// result for a task that is no longer open is late and refused.
/// </summary>
public sealed class RemoteClientExecutor(int clientCount, TimeSpan roundDeadline) : IClientExecutor
{
    private readonly object _gate = new();
    private readonly Slot[] _slots = [.. Enumerable.Range(0, clientCount).Select(_ => new Slot())];
    private readonly HashSet<int> _joined = [];
    private TaskCompletionSource _joinedChanged = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _finished;

    /// <summary>
    /// Validates updates on arrival (given the task they answer) so the submitting client hears the same reason the
    /// server logs: a plaintext <see cref="UpdateValidator"/>, or an encrypted run's ciphertext check.
    /// </summary>
    public Func<ClientTask, ClientUpdate, string?>? Validator { get; set; }

    public async Task<ClientResult> ExecuteAsync(ClientTask task, CancellationToken cancellation)
    {
        var slot = SlotOf(task.ClientId);
        var result = new TaskCompletionSource<ClientResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            slot.Task = task;
            slot.Result = result;
            slot.Deadline = DateTimeOffset.UtcNow + roundDeadline;
            slot.Wake();
        }
        try
        {
            return await result.Task.WaitAsync(roundDeadline, cancellation);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"no result within the round deadline of {roundDeadline.TotalSeconds:0.#} s");
        }
        finally
        {
            lock (_gate)
            {
                if (ReferenceEquals(slot.Result, result))
                {
                    slot.Task = null;
                    slot.Result = null;
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
            _joinedChanged.TrySetResult();
            _joinedChanged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    /// <summary>Waits until at least <paramref name="count"/> distinct clients have joined.</summary>
    public async Task WaitForJoinedAsync(int count, CancellationToken cancellation)
    {
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                if (_joined.Count >= count) return;
                changed = _joinedChanged.Task;
            }
            await changed.WaitAsync(cancellation);
        }
    }

    /// <summary>Waits for this client's open task; null once the run is over.</summary>
    public async Task<(ClientTask Task, DateTimeOffset Deadline)?> WaitForTaskAsync(int clientId, CancellationToken cancellation)
    {
        var slot = SlotOf(clientId);
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                if (slot.Task is { } open) return (open, slot.Deadline);
                if (_finished) return null;
                changed = slot.Changed.Task;
            }
            await changed.WaitAsync(cancellation);
        }
    }

    /// <summary>
    /// Hands a client's result to the waiting round. <c>Delivered</c> is false for a late or unexpected result;
    /// <c>Problem</c> is the validator's reason when the round will reject the update.
    /// </summary>
    public (bool Delivered, string? Problem) Complete(int clientId, int round, ClientResult result)
    {
        var slot = SlotOf(clientId);
        ClientTask open;
        TaskCompletionSource<ClientResult> waiting;
        lock (_gate)
        {
            if (slot.Task is not { } task || task.Round != round || slot.Result is null)
                return (false, $"late or unexpected result for round {round + 1}: the server is not waiting for one from this client");
            (open, waiting) = (task, slot.Result);
            slot.Task = null;
        }
        // Validation is O(parameters): done outside the lock so other clients' calls are not held up.
        string? problem = Validator?.Invoke(open, result.Update);
        waiting.TrySetResult(result);
        return (true, problem);
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
        public ClientTask? Task { get; set; }
        public TaskCompletionSource<ClientResult>? Result { get; set; }
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
