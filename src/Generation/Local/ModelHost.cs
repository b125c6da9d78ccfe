using FedLlm.Models;
using FedLlm.Models.Generation;
using FedLlm.Models.Lora;

namespace FedLlm.Generation.Local;

/// <summary>How much a <see cref="ModelHost"/> takes on at once.</summary>
public sealed record HostLimits
{
    /// <summary>Sequences decoded together in one forward pass.</summary>
    public int MaxBatch { get; init; } = 8;
    /// <summary>Requests that may wait for a decoding slot; beyond them a request is refused at once (never left hanging).</summary>
    public int MaxQueue { get; init; } = int.MaxValue;
    /// <summary>Positions per sequence (default: the model's max_position_embeddings).</summary>
    public int? Context { get; init; }
}

/// <summary>What a host has done so far and holds now.</summary>
public sealed record HostCounters(long Completed, long Rejected, long Failed, int InFlight);

/// <summary>
/// One loaded model shared by concurrent callers: jobs from any thread queue up, and a single decoding thread runs them
/// through a <see cref="BatchGenerator"/>, so requests arriving together are decoded together. A full host refuses new
/// work with <see cref="HostBusyException"/> instead of queueing without bound.
/// </summary>
public sealed class ModelHost : IDisposable
{
    private readonly object _gate = new();
    private readonly Queue<Pending> _queue = new();
    private readonly Dictionary<GenerationJob, Pending> _running = new(ReferenceEqualityComparer.Instance);
    private readonly BatchGenerator _generator;
    private readonly HostLimits _limits;
    private readonly IDisposable[] _owned;
    private readonly Thread _thread;
    private bool _stopping;
    private int _inFlight;
    private long _completed, _rejected, _failed;

    /// <param name="owned">Disposed with the host after its thread stops (the model, its adapter bank).</param>
    public ModelHost(PretrainedModel model, HostLimits limits, AdapterBank? adapters = null, params IDisposable[] owned)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limits.MaxBatch, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(limits.MaxQueue);
        Model = model;
        _limits = limits;
        _owned = owned;
        _generator = new BatchGenerator(model, limits.MaxBatch, adapters, limits.Context);
        _thread = new Thread(Loop) { IsBackground = true, Name = "fedllm-decode" };
        _thread.Start();
    }

    public PretrainedModel Model { get; }

    /// <summary>Positions one sequence may use: prompt plus generated tokens.</summary>
    public int Context => _generator.Context;

    public HostCounters Counters
    {
        get { lock (_gate) return new HostCounters(_completed, _rejected, _failed, _inFlight); }
    }

    /// <summary>Queues a job; its result arrives once it is decoded. Throws at once when the job is invalid or the host is full.</summary>
    public Task<GenerationResult> GenerateAsync(GenerationJob job)
    {
        _generator.Check(job);
        var pending = new Pending(job);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_stopping, this);
            long capacity = (long)_limits.MaxBatch + _limits.MaxQueue;
            if (_inFlight >= capacity)
            {
                _rejected++;
                throw new HostBusyException($"the model is busy: {_limits.MaxBatch} sequences decoding and {_limits.MaxQueue} waiting; retry later");
            }
            _inFlight++;
            _queue.Enqueue(pending);
            Monitor.Pulse(_gate);
        }
        return pending.Result.Task;
    }

    private void Loop()
    {
        while (true)
        {
            var admitted = new List<Pending>();
            lock (_gate)
            {
                while (!_stopping && _queue.Count == 0 && _generator.RunningCount == 0) Monitor.Wait(_gate);
                if (_stopping) break;
                while (_queue.Count > 0 && admitted.Count < _generator.FreeSlots)
                {
                    var next = _queue.Dequeue();
                    if (next.Job.Cancellation.IsCancellationRequested) Cancel(next);
                    else admitted.Add(next);
                }
            }
            try
            {
                foreach (var pending in admitted) _running[pending.Job] = pending;
                if (admitted.Count > 0) Complete(_generator.Start(admitted.Select(p => p.Job).ToArray()));
                if (_generator.RunningCount > 0) Complete(_generator.Step());
            }
            catch (Exception e)
            {
                // A failed forward pass leaves no sequence worth continuing: fail those in flight, keep serving new ones.
                _generator.Abort();
                foreach (var pending in _running.Values) Fail(pending, e);
                _running.Clear();
            }
        }
        _generator.Abort();
        lock (_gate)
        {
            foreach (var pending in _running.Values.Concat(_queue)) pending.Result.TrySetException(new ObjectDisposedException(nameof(ModelHost)));
        }
    }

    private void Complete(IReadOnlyList<(GenerationJob Job, GenerationResult Result)> finished)
    {
        foreach (var (job, result) in finished)
        {
            var pending = _running[job];
            _running.Remove(job);
            if (result.StopReason == StopReason.Cancelled)
            {
                lock (_gate) Cancel(pending);
                continue;
            }
            lock (_gate)
            {
                _inFlight--;
                _completed++;
            }
            pending.Result.TrySetResult(result);
        }
    }

    /// <summary>Called with the lock held.</summary>
    private void Cancel(Pending pending)
    {
        _inFlight--;
        pending.Result.TrySetCanceled(pending.Job.Cancellation);
    }

    private void Fail(Pending pending, Exception error)
    {
        lock (_gate)
        {
            _inFlight--;
            _failed++;
        }
        pending.Result.TrySetException(error);
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_stopping) return;
            _stopping = true;
            Monitor.Pulse(_gate);
        }
        _thread.Join();
        _generator.Dispose();
        foreach (var owned in _owned) owned.Dispose();
    }

    private sealed class Pending(GenerationJob job)
    {
        public GenerationJob Job { get; } = job;
        // Continuations run off the decoding thread, which must never wait on a caller.
        public TaskCompletionSource<GenerationResult> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

/// <summary>The host already holds as many requests as its limits allow (an HTTP server answers 429).</summary>
public sealed class HostBusyException(string message) : Exception(message);
