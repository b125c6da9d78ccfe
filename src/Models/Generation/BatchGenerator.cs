using FedLlm.Models.Lora;
using static TorchSharp.torch;

namespace FedLlm.Models.Generation;

/// <summary>
/// Continuous batching: every step decodes one token for each running sequence in a single forward pass, and new
/// prompts join (prefilled together) as soon as slots free up, so throughput grows with the number of sequences in
/// flight. Each job keeps its own sampler, seeded from its options, so its text does not depend on what it was batched
/// with. Not thread-safe: one thread drives a generator (the serving host runs it on its own decoding thread).
/// </summary>
public sealed class BatchGenerator : IDisposable
{
    private readonly PretrainedModel _model;
    private readonly IDecodeEngine _engine;
    private readonly bool _ownsEngine;
    private readonly List<Running> _running = [];

    /// <param name="context">Positions per sequence (default: the model's max_position_embeddings).</param>
    public BatchGenerator(PretrainedModel model, int maxBatch, AdapterBank? adapters = null, int? context = null)
        : this(model, DecodeEngines.Create(model.Model, maxBatch, context, adapters), ownsEngine: true)
    {
    }

    public BatchGenerator(PretrainedModel model, IDecodeEngine engine, bool ownsEngine = false)
    {
        _model = model;
        _engine = engine;
        _ownsEngine = ownsEngine;
    }

    public int RunningCount => _running.Count;
    public int FreeSlots => _engine.MaxSequences - _running.Count;
    public int Context => _engine.Context;

    /// <summary>Rejects a job that could never run (empty prompt, no room left to generate), with the reason.</summary>
    public void Check(GenerationJob job)
    {
        if (job.PromptIds.Count == 0) throw new ArgumentException("The prompt must contain at least one token.", nameof(job));
        // The prompt's forward pass already yields the first new token, so zero cannot be honoured.
        if (job.Options.MaxNewTokens < 1) throw new ArgumentException($"max new tokens must be at least 1, got {job.Options.MaxNewTokens}", nameof(job));
        if (job.PromptIds.Count >= Context)
            throw new ArgumentException($"The prompt has {job.PromptIds.Count} tokens; the model's context is {Context}.", nameof(job));
    }

    /// <summary>Prefills <paramref name="jobs"/> together and samples their first tokens; returns those already finished.</summary>
    public IReadOnlyList<(GenerationJob Job, GenerationResult Result)> Start(IReadOnlyList<GenerationJob> jobs)
    {
        if (jobs.Count == 0) return [];
        if (jobs.Count > FreeSlots) throw new InvalidOperationException($"{jobs.Count} jobs but only {FreeSlots} free slots");
        foreach (var job in jobs) Check(job);
        var started = new List<Running>();
        try
        {
            foreach (var job in jobs) started.Add(new Running(job, _engine.Open(job.Adapter), _model));
            using var logits = _engine.Append(started.Select(r => r.Sequence).ToArray(), jobs.Select(j => j.PromptIds).ToArray());
            _running.AddRange(started);
            return Advance(started, logits);
        }
        catch
        {
            foreach (var running in started.Where(r => !_running.Contains(r))) Close(running);
            throw;
        }
    }

    /// <summary>Decodes one token for every running sequence; returns the jobs that finished.</summary>
    public IReadOnlyList<(GenerationJob Job, GenerationResult Result)> Step()
    {
        var finished = new List<(GenerationJob, GenerationResult)>();
        foreach (var cancelled in _running.Where(r => r.Job.Cancellation.IsCancellationRequested).ToList())
            finished.Add(Finish(cancelled, StopReason.Cancelled));
        if (_running.Count == 0) return finished;
        var batch = _running.ToList();
        using var logits = _engine.Append(batch.Select(r => r.Sequence).ToArray(), batch.Select(r => (IReadOnlyList<int>)[r.Pending]).ToArray());
        finished.AddRange(Advance(batch, logits));
        return finished;
    }

    /// <summary>Runs every job to completion, at most the engine's batch size at a time; results in job order.</summary>
    public IReadOnlyList<GenerationResult> GenerateAll(IReadOnlyList<GenerationJob> jobs)
    {
        var results = new GenerationResult[jobs.Count];
        var index = new Dictionary<GenerationJob, int>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < jobs.Count; i++) index[jobs[i]] = i;
        int next = 0;
        while (next < jobs.Count || _running.Count > 0)
        {
            int admit = Math.Min(FreeSlots, jobs.Count - next);
            var done = new List<(GenerationJob Job, GenerationResult Result)>(Start(jobs.Skip(next).Take(admit).ToArray()));
            next += admit;
            done.AddRange(Step());
            foreach (var (job, result) in done) results[index[job]] = result;
        }
        return results;
    }

    /// <summary>Ends every running job without a result (after a failed step) and returns them.</summary>
    public IReadOnlyList<GenerationJob> Abort()
    {
        var aborted = _running.Select(r => r.Job).ToList();
        foreach (var running in _running) Close(running);
        _running.Clear();
        return aborted;
    }

    private List<(GenerationJob, GenerationResult)> Advance(IReadOnlyList<Running> batch, Tensor logits)
    {
        var tokens = Sample(batch, logits);
        var finished = new List<(GenerationJob, GenerationResult)>();
        for (int i = 0; i < batch.Count; i++)
        {
            var reason = batch[i].Accept(tokens[i], _engine);
            if (reason is StopReason stop) finished.Add(Finish(batch[i], stop));
        }
        return finished;
    }

    private static int[] Sample(IReadOnlyList<Running> batch, Tensor logits)
    {
        using var scope = NewDisposeScope();
        if (batch.All(r => r.Job.Options.Temperature == 0))
            return logits.argmax(1).data<long>().Select(id => (int)id).ToArray();
        return batch.Select((r, i) => r.Sampler.Next(logits[i])).ToArray();
    }

    private (GenerationJob, GenerationResult) Finish(Running running, StopReason reason)
    {
        _running.Remove(running);
        Close(running);
        return (running.Job, running.Result(reason));
    }

    private void Close(Running running)
    {
        _engine.Close(running.Sequence);
        running.Sampler.Dispose();
    }

    public void Dispose()
    {
        Abort();
        if (_ownsEngine) _engine.Dispose();
    }

    /// <summary>One job in flight: its sequence, sampler, tokens so far and text.</summary>
    private sealed class Running
    {
        private readonly List<int> _generated = [];
        private readonly ContinuationText _text;
        private readonly HashSet<int> _stopIds;

        public Running(GenerationJob job, int sequence, PretrainedModel model)
        {
            Job = job;
            Sequence = sequence;
            Sampler = new TokenSampler(job.Options.Temperature, job.Options.TopP, job.Options.Seed);
            _text = new ContinuationText(model.Tokenizer, job.PromptIds[^1], job.Options.StopStrings);
            _stopIds = job.Options.StopAtEos ? [.. model.EosTokenIds] : [];
        }

        public GenerationJob Job { get; }
        public int Sequence { get; }
        public TokenSampler Sampler { get; }
        /// <summary>The sampled token the next step feeds.</summary>
        public int Pending { get; private set; }

        /// <summary>Takes a sampled token; returns why the job ends, or null to feed the token and go on.</summary>
        public StopReason? Accept(int token, IDecodeEngine engine)
        {
            if (_stopIds.Contains(token)) return StopReason.EndOfSequence;
            _generated.Add(token);
            Emit(_text.Append(token));
            if (_text.StoppedByString) return StopReason.StopString;
            if (_generated.Count >= Job.Options.MaxNewTokens) return StopReason.MaxNewTokens;
            if (engine.Length(Sequence) >= engine.Context) return StopReason.ContextFull;
            Pending = token;
            return null;
        }

        public GenerationResult Result(StopReason reason)
        {
            Emit(_text.Finish());
            return new GenerationResult(_generated, _text.Text, _text.StoppedByString ? StopReason.StopString : reason);
        }

        private void Emit(string chunk)
        {
            if (chunk.Length > 0) Job.OnText?.Invoke(chunk);
        }
    }
}
