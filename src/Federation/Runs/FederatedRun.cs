using System.Text.Json.Nodes;
using FedLlm.Federation.Client;
using FedLlm.Federation.Configuration;
using FedLlm.Federation.Engine;
using FedLlm.Federation.Privacy;
using FedLlm.Federation.Reporting;
using FedLlm.Federation.Safety;
using FedLlm.Federation.Strategies;
using FedLlm.Models.Lora;

namespace FedLlm.Federation.Runs;

/// <summary>Progress events of any run, simulated or deployed: the console, the server's log and database, a dashboard.</summary>
public interface IRunObserver
{
    void RoundCompleted(RoundOutcome outcome, JsonObject record, int totalRounds) { }
    void Evaluated(int round, EvaluatedModel model, EvaluationResult result) { }
    void Message(string text) { }
}

/// <summary>Observers that do nothing and that fan out to several.</summary>
public sealed class RunObservers(params IRunObserver[] observers) : IRunObserver
{
    public void RoundCompleted(RoundOutcome outcome, JsonObject record, int totalRounds)
    {
        foreach (var o in observers) o.RoundCompleted(outcome, record, totalRounds);
    }

    public void Evaluated(int round, EvaluatedModel model, EvaluationResult result)
    {
        foreach (var o in observers) o.Evaluated(round, model, result);
    }

    public void Message(string text)
    {
        foreach (var o in observers) o.Message(text);
    }
}

/// <summary>What a finished run produced. <see cref="Global"/> is null when only the members hold it (encrypted deployment).</summary>
/// <param name="Safety">The run's refusal evaluations (<c>evaluation.safety</c>), one line per model, as in metrics.jsonl; empty when not asked.</param>
public sealed record RunResult(RunDirectory Run, float[]? Global, EvaluationResult? Final, EvaluationResult? Base, int AggregatedRounds,
    IReadOnlyList<JsonObject>? Safety = null)
{
    public IReadOnlyList<ClientScore> FinalScores => Final?.Scores ?? [];
    public string ReportFile => Run.ReportFile;
}

/// <summary>
/// The one run driver of FedLlm, shared by <c>simulate</c> and <c>server</c>: restore or start → per round (sample,
/// plan, dispatch through the transport's executor, check each update once, aggregate, evaluate when due, record
/// metrics, checkpoint) → final adapter → report. Everything that differs between an in-process simulation and a gRPC
/// deployment is behind <see cref="FederationTransport"/>; every round is checkpointed, and a resumed run continues from
/// the newest complete checkpoint and ends bit-identical to an uninterrupted one.
/// </summary>
/// <param name="safety">The server's safety work (post-hoc defense, refusal evaluation) when the config asks for it; needs the model.</param>
public sealed class FederatedRun(RunConfig config, RunDirectory run, ServerStrategy strategy, LoraAdapterSet adapters,
    FederationTransport transport, IRunObserver? observer = null, ServerSafety? safety = null)
{
    private readonly IRunObserver _observer = observer ?? new RunObservers();

    /// <summary>
    /// Why the run cannot start in its folder as <paramref name="mode"/> asks; empty when it can. Reads only, so a server
    /// calls it before it binds and a refused start leaves the folder as it was.
    /// </summary>
    public static IReadOnlyList<string> CheckFolder(RunConfig config, RunDirectory run, StartMode mode)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(run);
        switch (mode)
        {
            case StartMode.New when run.HasCheckpoints:
                return [$"{run.Path} already holds a run with checkpoints: continue it with --resume {run.Path}, replace it with --overwrite, or choose another name"];
            case StartMode.Resume when run.LatestCheckpoint() is not null && File.Exists(run.ConfigFile):
                var changed = RunConfigChanges.RunKeysChanged(RunConfigJson.ReadObject(run.ConfigFile), RunConfigJson.ToJson(config));
                return changed.Count == 0 ? []
                    : [$"cannot resume {run.Path}: run keys differ from the run's saved config.json ({string.Join("; ", changed)}); restore them, or start a new run under another name"];
            default:
                return [];
        }
    }

    /// <param name="mode">A new run, a resumed one (from the newest intact checkpoint; fresh when there is none), or one replacing an earlier run's records.</param>
    public async Task<RunResult> RunAsync(StartMode mode, CancellationToken cancellation = default)
    {
        if (CheckFolder(config, run, mode) is [var problem, ..]) throw new RunFolderException(problem);
        if (safety is null && ServerSafety.Needed(config))
            throw new InvalidOperationException("defense / evaluation.safety need the server's model: this run driver was built without it");
        bool locked = run.Lock();
        try
        {
            return await RunLockedAsync(mode, cancellation);
        }
        finally
        {
            if (locked) run.Unlock();
        }
    }

    private async Task<RunResult> RunLockedAsync(StartMode mode, CancellationToken cancellation)
    {
        float[] global = adapters.Flatten();
        int firstRound = 0;
        RunStart start;
        if (mode == StartMode.Resume && run.RestoreLatest(strategy) is { } restored)
        {
            foreach (string damaged in restored.Damaged) _observer.Message($"Warning: {damaged}; resuming from an older checkpoint.");
            global = restored.Global;
            firstRound = restored.DoneRound + 1;
            start = new RunStart(restored.DoneRound, restored.Global, restored.ExtraFiles);
            _observer.Message($"Resuming after round {restored.DoneRound + 1} of {config.Rounds} ({run.Path}).");
        }
        else
        {
            if (mode == StartMode.Resume && run.FindCheckpoint().Damaged is { Count: > 0 } damaged)
                throw new RunFolderException($"cannot resume {run.Path}: no intact checkpoint ({string.Join("; ", damaged)}); move the folder aside to start again");
            run.StartFresh();
            start = new RunStart(null, global, new Dictionary<string, byte[]>());
        }
        run.WriteJson("config.json", RunConfigJson.ToJson(config));
        transport.Start(start);
        // Members join before anything is asked of them, the base-model evaluation included.
        if (firstRound < config.Rounds) await transport.ReadyAsync(cancellation);

        var evaluationLines = run.ReadMetrics().Where(m => m["type"]?.GetValue<string>() == RunMetrics.EvaluationType).ToList();
        EvaluationResult? baseResult = null;
        if (config.Evaluation.BaseModel)
        {
            baseResult = evaluationLines.LastOrDefault(m => RunMetrics.ModelOf(m) == RunMetrics.BaseModel) is { } saved
                ? new EvaluationResult(RunMetrics.Scores(saved), null)
                : await EvaluateAsync(-1, EvaluatedModel.Base, null, cancellation);
        }

        var engine = new RoundEngine(strategy, transport.Members, transport.FederationSize, config.Seed, global.Length, config.MaxUpdateNorm, transport.OpaqueAggregator)
        {
            MinimumClients = transport.MinimumClients,
            // Relative to the round's median the bound needs no tuning; client-level DP already clips every update (and a
            // data-dependent exclusion would void its analysis), and encrypted updates have no norm the server can see.
            MaxUpdateNormRatio = config.Privacy.IsClientDp ? 0 : config.MaxUpdateNormRatio,
            LocalWeightsOf = id => transport.LocalWeightsOf(id, CurrentRound),
            RequiresClientPrivacy = config.Privacy.IsDpSgd,
        };
        if (transport.Executor is IEngineAware aware) aware.Attach(engine);
        var privacy = config.Privacy.Enabled
            ? new PrivacyMetrics(config.Privacy, strategy, run.ReadMetrics().Where(m => m["type"]?.GetValue<string>() == RunMetrics.RoundType))
            : null;

        EvaluationResult? final = null;
        float[]? undefended = null;
        int lastRound = firstRound - 1, aggregatedRounds = CountAggregatedRounds();
        for (int round = firstRound; round < config.Rounds; round++)
        {
            if (privacy is { RunBudgetExhausted: true }) break;
            CurrentRound = lastRound = round;
            // Under encryption the server has no plaintext global: tasks carry no weights, members train from their own.
            var outcome = await engine.RunRoundAsync(round, transport.OpaqueAggregator is null ? global : [], transport.Executor, cancellation);
            var previousGlobal = global;
            global = transport.AfterRound(outcome, global);
            if (outcome.Aggregated) aggregatedRounds++;

            var record = RunMetrics.Round(outcome);
            if (outcome.Aggregated) strategy.DescribeRound(record);
            if (!outcome.Aggregated && strategy.Capabilities.ExchangesUpdates)
                record["failed"] = $"{outcome.Accepted.Count} accepted update(s), fewer than the {Math.Max(1, transport.MinimumClients)} needed: the global is unchanged";
            privacy?.AddTo(record, outcome);
            transport.AddRoundMetrics(record, outcome, previousGlobal);
            run.AppendMetrics(record);
            _observer.RoundCompleted(outcome, record, config.Rounds);

            bool last = round == config.Rounds - 1 || privacy is { RunBudgetExhausted: true };
            if (last && round < config.Rounds - 1) _observer.Message($"Privacy budget ε = {config.Privacy.TargetEpsilon} reached: stopping after round {round + 1}.");
            if (safety is not null && transport.HoldsGlobal && safety.DefendsAfter(round, last))
            {
                // The post-hoc defense: the server fine-tunes the aggregate; what it was before is kept beside the run's output.
                undefended = global;
                (global, var defenseRecord) = await safety.DefendAsync(round, global, cancellation);
                run.AppendMetrics(defenseRecord);
                _observer.Message($"Defense (level {config.Defense.Level}) after round {round + 1}: {defenseRecord["steps"]} steps on {defenseRecord["trained_examples"]} samples, loss {defenseRecord["train_loss"]?.GetValue<double>():F3}");
            }
            if (last || (config.Evaluation.Every > 0 && (round + 1) % config.Evaluation.Every == 0))
            {
                var model = strategy.IsLocalOnly ? EvaluatedModel.LocalOnly : EvaluatedModel.Global;
                final = await EvaluateAsync(round, model, transport.HoldsGlobal ? global : null, cancellation);
            }
            if (transport.HoldsGlobal && (last || (config.SaveAdapterEvery > 0 && (round + 1) % config.SaveAdapterEvery == 0)))
            {
                if (last && undefended is not null)
                {
                    adapters.Load(undefended);
                    adapters.Save(run.File(ServerSafety.UndefendedAdapter));
                }
                adapters.Load(global);
                adapters.Save(last ? run.FinalAdapterDirectory : run.AdapterDirectory(round + 1));
            }
            if (last || (round + 1) % Math.Max(1, config.CheckpointEvery) == 0)
                transport.Checkpointed(round, run.WriteCheckpoint(round, global, strategy, transport.CheckpointFiles()));
            if (last) break;
        }
        if (privacy is not null && lastRound >= firstRound)
        {
            double? nonPrivate = config.Privacy.CompareWith is { } other ? PrivacyMetrics.FinalHeldOutLossOf(other) : null;
            run.AppendMetrics(privacy.Summary(lastRound, ClientEvaluator.Mean(final?.Scores ?? []).Loss, nonPrivate, stoppedEarly: lastRound < config.Rounds - 1));
        }
        await transport.FinishAsync(cancellation);
        var safetyRecords = safety is not null && config.Evaluation.Safety.Enabled && transport.HoldsGlobal && lastRound >= firstRound
            ? await EvaluateSafetyAsync(safety, lastRound, global, undefended, cancellation)
            : [];
        // A restart of a finished run ran no round: the roster it knows is empty, and the one on disk is the truth.
        if (lastRound >= firstRound || !File.Exists(run.MembersFile)) run.WriteJson("members.json", MembersJson(transport.DescribeMembers()));
        RunReport.Write(run);
        return new RunResult(run, transport.HoldsGlobal ? global : null, final, baseResult, aggregatedRounds, safetyRecords);
    }

    /// <summary>
    /// Refusal rates of the base (with <c>evaluation.base_model</c>), the undefended aggregate (when the defense ran) and the
    /// run's output: one line each in metrics.jsonl, and every answer in <c>safety.json</c>.
    /// </summary>
    private async Task<IReadOnlyList<JsonObject>> EvaluateSafetyAsync(ServerSafety safety, int round, float[] global, float[]? undefended, CancellationToken cancellation)
    {
        var records = new List<JsonObject>();
        if (config.Evaluation.BaseModel) records.Add(await safety.EvaluateAsync(-1, RunMetrics.BaseModel, null, cancellation));
        if (undefended is not null) records.Add(await safety.EvaluateAsync(round, "undefended", undefended, cancellation));
        records.Add(await safety.EvaluateAsync(round, RunMetrics.GlobalModel, global, cancellation));
        run.WriteJson(ServerSafety.SafetyFile, new JsonArray([.. records.Select(r => r.DeepClone())]));
        var lines = new List<JsonObject>();
        foreach (var record in records)
        {
            var line = (JsonObject)record.DeepClone();
            line.Remove("answers");
            run.AppendMetrics(line);
            lines.Add(line);
            _observer.Message("Safety: " + ServerSafety.Describe(line));
        }
        return lines;
    }

    /// <summary>The round being run; the engine reads local-only vectors as of its start.</summary>
    private int CurrentRound { get; set; }

    private async Task<EvaluationResult> EvaluateAsync(int round, EvaluatedModel model, float[]? weights, CancellationToken cancellation)
    {
        var result = await transport.EvaluateAsync(round, model, weights, cancellation);
        run.AppendMetrics(RunMetrics.Evaluation(round, RunMetrics.Label(model), result.Scores, result.Test));
        _observer.Evaluated(round, model, result);
        return result;
    }

    private int CountAggregatedRounds() =>
        run.ReadMetrics().Count(m => m["type"]?.GetValue<string>() == RunMetrics.RoundType && m["aggregated"]?.GetValue<bool>() == true);

    private static JsonArray MembersJson(IReadOnlyList<FederationMember> members) =>
        new([.. members.Select(m => (JsonNode)new JsonObject
        {
            ["client"] = m.ClientId,
            ["name"] = m.Name,
            ["train_records"] = m.TrainRecords,
            ["held_out_records"] = m.HeldOutRecords,
        })]);
}

/// <summary>How a run uses its folder.</summary>
public enum StartMode
{
    /// <summary>A new run: refused when the folder already holds a checkpointed run.</summary>
    New,
    /// <summary>Continue from the newest intact checkpoint (fresh when there is none); refused when run keys changed.</summary>
    Resume,
    /// <summary>A new run that discards an earlier run's records in the folder (the built-in demo, <c>--overwrite</c>).</summary>
    Replace,
}

/// <summary>The run folder does not allow this start (it holds another run, or the config changed): nothing was written.</summary>
public sealed class RunFolderException(string message) : InvalidOperationException(message);

/// <summary>An executor that checks updates itself as they arrive (so it can answer the client) with the engine's one check.</summary>
public interface IEngineAware
{
    void Attach(RoundEngine engine);
}
