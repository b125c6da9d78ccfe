using System.Text.Json.Nodes;
using FedLlm.Data.Model;
using FedLlm.Data.Templates;
using FedLlm.Evaluation.Accuracy;
using FedLlm.Federation.Client;
using FedLlm.Federation.Engine;
using FedLlm.Federation.Privacy;
using FedLlm.Federation.Reporting;
using FedLlm.Federation.Strategies;
using FedLlm.Models;
using FedLlm.Models.Lora;
using FedLlm.Training.Examples;

namespace FedLlm.Federation.Simulation;

/// <summary>Progress events of a run, for the console or a log.</summary>
public interface ISimulationObserver
{
    void RoundCompleted(RoundOutcome outcome, int totalRounds) { }
    void Evaluated(int round, IReadOnlyList<ClientScore> scores) { }
    void Message(string text) { }
}

/// <summary>What a finished run produced.</summary>
public sealed record SimulationResult(
    RunDirectory Run, float[] Global, IReadOnlyList<ClientScore> FinalScores, IReadOnlyList<ClientScore>? BaseScores, TestScore? FinalTest)
{
    public string ReportFile => Run.ReportFile;
}

/// <summary>
/// N clients in one process sharing one base model: each round the engine hands tasks to an in-process executor that
/// loads the task's weights into the shared adapters and trains. Per-client state lives on disk. Every round is
/// checkpointed; a resumed run continues from the newest complete checkpoint and ends bit-identical to an uninterrupted one.
/// </summary>
public sealed class SimulationRunner
{
    public const string LocalWeightsKey = "local.weights";

    private readonly SimulationConfig _config;
    private readonly PretrainedModel _model;
    private readonly IReadOnlyList<InstructionExample>? _examples;
    private readonly SimulationData? _data;
    private readonly ISimulationObserver _observer;

    /// <summary>A run over <paramref name="examples"/>, split as the config says (no global test file).</summary>
    public SimulationRunner(SimulationConfig config, PretrainedModel model, IReadOnlyList<InstructionExample> examples, ISimulationObserver? observer = null)
    {
        _config = config ?? throw new ArgumentNullException(nameof(config));
        _model = model ?? throw new ArgumentNullException(nameof(model));
        _examples = examples ?? throw new ArgumentNullException(nameof(examples));
        _observer = observer ?? new SilentObserver();
    }

    /// <summary>A run over data already prepared (and so checked) by <see cref="SimulationData.Prepare"/>.</summary>
    public SimulationRunner(SimulationConfig config, PretrainedModel model, SimulationData data, ISimulationObserver? observer = null)
    {
        _config = config ?? throw new ArgumentNullException(nameof(config));
        _model = model ?? throw new ArgumentNullException(nameof(model));
        _data = data ?? throw new ArgumentNullException(nameof(data));
        _observer = observer ?? new SilentObserver();
    }

    /// <param name="resume">Continue from the run folder's newest complete checkpoint (a fresh start when there is none).</param>
    /// <param name="evaluateBase">Also score the base model (adapters off) on every client's held-out data before training.</param>
    public async Task<SimulationResult> RunAsync(bool resume, bool evaluateBase = false, CancellationToken cancellation = default)
    {
        var config = _config;
        var model = _model;
        var data = _data ?? SimulationData.Prepare(config, _examples!);

        var run = new RunDirectory(config.RunDirectory);
        data.Split.Save(run.SplitFile);
        var rawClients = data.Clients;

        var exampleTokenizer = RunSetup.CreateExampleTokenizer(model, config);
        var clients = rawClients.Select(c => RunSetup.Tokenize(c, exampleTokenizer)).ToList();
        var empty = clients.FirstOrDefault(c => c.Train.Count == 0);
        if (empty is not null) throw new ArgumentException($"client {empty.ClientId} has no trainable examples after tokenization");
        var globalTest = RunSetup.Tokenize(data.GlobalTest, exampleTokenizer);

        var adapters = RunSetup.AttachAdapters(model, config);
        int padId = model.PadId;
        var strategy = config.Privacy.Wrap(StrategyFactory.Create(config.Strategy.ToOptions(clients.Count, config.Rounds)), config, clients.Count);
        var state = new ClientStateStore(run.ClientStateDirectory);
        var trainer = new LocalClientTrainer(adapters, config.Local, state, padId, config.Seed, config.Privacy.ToDpSgdPlan(config));
        // The central baseline trains one virtual client on the union of every client's training data.
        var executorClients = strategy.IsCentral
            ? new Dictionary<int, ClientData> { [CentralStrategy.VirtualClientId] = new(CentralStrategy.VirtualClientId, clients.SelectMany(c => c.Train).ToList(), []) }
            : clients.ToDictionary(c => c.ClientId);
        var executor = new InProcessExecutor(trainer, executorClients);
        var evaluation = new ClientEvaluation(model, adapters, new AnswerEvaluator(model, exampleTokenizer.Template), padId,
            config.Local.BatchSize, config.Data.MaxAccuracyExamplesPerClient);

        float[] global = adapters.Flatten();
        int firstRound = 0;
        bool resumed = false;
        if (resume && run.RestoreLatest(strategy) is var (doneRound, savedGlobal))
        {
            global = savedGlobal;
            state.RollBackTo(doneRound);
            firstRound = doneRound + 1;
            resumed = true;
            _observer.Message($"Resuming after round {doneRound + 1} of {config.Rounds}.");
        }
        else
        {
            state.RollBackTo(-1);
            run.StartFresh();
        }
        run.WriteJson("config.json", SimulationConfigJson.ToJson(config));

        IReadOnlyList<ClientScore>? baseScores = null;
        if (evaluateBase)
        {
            var saved = resumed ? run.ReadMetrics().LastOrDefault(m => IsEvaluation(m, RunMetrics.BaseModel)) : null;
            if (saved is not null) baseScores = RunMetrics.Scores(saved);
            else
            {
                baseScores = evaluation.Evaluate(null, clients, rawClients);
                var baseTest = globalTest.Count > 0 ? evaluation.EvaluateTest(null, globalTest, data.GlobalTest, config.Data.MaxTestAccuracyExamples) : null;
                run.AppendMetrics(RunMetrics.Evaluation(-1, RunMetrics.BaseModel, baseScores, baseTest));
            }
        }

        int currentRound = firstRound;
        // --- encryption: the engine (server) gets only the ciphertext aggregator; keys and the plaintext global stay client-side.
        using var encrypted = EncryptedSimulation.CreateOrNull(config.Encryption, adapters.Layout, clients.Select(c => c.ClientId).ToList(), config.Seed, executor, global);
        var engine = new RoundEngine(strategy, clients.Select(c => c.ClientId).ToList(), config.Seed, config.MaxUpdateNorm)
        {
            LocalWeightsOf = id => state.Read(id, LocalWeightsKey, currentRound),
            OpaqueAggregator = encrypted?.ServerAggregator,
        };

        // privacy: ε per round in the metrics; a client-level budget can end the run early.
        var privacy = config.Privacy.Enabled
            ? new PrivacyMetrics(config.Privacy.Mode, config.Privacy.Delta, strategy, state, clients.Select(c => c.ClientId), firstRound)
            : null;
        IReadOnlyList<ClientScore> scores = [];
        int lastRound = firstRound - 1;
        TestScore? test = null;
        for (int round = firstRound; round < config.Rounds; round++)
        {
            if (privacy is { RunBudgetExhausted: true }) break;
            currentRound = round;
            lastRound = round;
            var outcome = encrypted is null
                ? await engine.RunRoundAsync(round, global, executor, cancellation)
                : await engine.RunRoundAsync(round, [], encrypted.Executor, cancellation); // encryption: the server has no plaintext global
            if (strategy.IsLocalOnly)
                foreach (var result in outcome.Accepted) state.Write(result.Update.ClientId, LocalWeightsKey, round, result.Update.Weights);
            var previousGlobal = global;
            global = encrypted?.FinishRound(outcome) ?? outcome.Global;
            var roundRecord = RunMetrics.Round(outcome);
            privacy?.AddTo(roundRecord, outcome);
            encrypted?.AddMetrics(roundRecord, outcome, previousGlobal);
            run.AppendMetrics(roundRecord);
            _observer.RoundCompleted(outcome, config.Rounds);

            bool last = round == config.Rounds - 1 || privacy is { RunBudgetExhausted: true };
            if (last && round < config.Rounds - 1) _observer.Message($"Privacy budget ε = {config.Privacy.TargetEpsilon} reached: stopping after round {round + 1}.");
            if (last || (config.EvaluateEvery > 0 && (round + 1) % config.EvaluateEvery == 0))
            {
                if (strategy.IsLocalOnly)
                    (scores, test) = EvaluateLocal(evaluation, clients, rawClients, state, round, global, globalTest, data.GlobalTest, config.Data.MaxTestAccuracyExamples);
                else
                {
                    scores = evaluation.Evaluate(global, clients, rawClients);
                    test = globalTest.Count > 0 ? evaluation.EvaluateTest(global, globalTest, data.GlobalTest, config.Data.MaxTestAccuracyExamples) : null;
                }
                run.AppendMetrics(RunMetrics.Evaluation(round, strategy.IsLocalOnly ? RunMetrics.LocalOnlyModel : RunMetrics.GlobalModel, scores, test));
                _observer.Evaluated(round, scores);
            }
            if (last || (config.SaveAdapterEvery > 0 && (round + 1) % config.SaveAdapterEvery == 0))
            {
                adapters.Load(global);
                adapters.Save(last ? run.FinalAdapterDirectory : run.AdapterDirectory(round + 1));
            }
            if (last || (round + 1) % Math.Max(1, config.CheckpointEvery) == 0)
            {
                run.WriteCheckpoint(round, global, strategy);
                state.Prune(round);
            }
            if (last) break;
        }
        if (privacy is not null && lastRound >= firstRound)
        {
            double? nonPrivate = config.Privacy.CompareWith is { } other ? PrivacyMetrics.FinalHeldOutLossOf(other) : null;
            run.AppendMetrics(privacy.Summary(lastRound, ClientEvaluation.Mean(scores).Loss, nonPrivate, stoppedEarly: lastRound < config.Rounds - 1));
        }

        RunReport.Write(run);
        return new SimulationResult(run, global, scores, baseScores, test);
    }

    private static bool IsEvaluation(JsonObject line, string model) =>
        line["type"]?.GetValue<string>() == RunMetrics.EvaluationType && RunMetrics.ModelOf(line) == model;

    /// <summary>
    /// Local-only baseline: each client's own model on every client's held-out data (and on the global test set),
    /// averaged over the owners.
    /// </summary>
    private static (IReadOnlyList<ClientScore> Scores, TestScore? Test) EvaluateLocal(ClientEvaluation evaluation, IReadOnlyList<ClientData> clients,
        IReadOnlyList<ClientExamples> raw, ClientStateStore state, int round, float[] initial, IReadOnlyList<TokenizedExample> testTokens,
        IReadOnlyList<InstructionExample> testRaw, int maxTestAccuracy)
    {
        var perOwner = new List<IReadOnlyList<ClientScore>>(clients.Count);
        var tests = new List<TestScore>();
        // Owners that never trained still hold the initial adapter: score it once and reuse it (O(trained · N), not O(N²)).
        (IReadOnlyList<ClientScore> Scores, TestScore? Test)? untrained = null;
        foreach (var owner in clients)
        {
            float[]? vector = state.Read(owner.ClientId, LocalWeightsKey, round + 1);
            (IReadOnlyList<ClientScore> Scores, TestScore? Test) Score(float[] weights) =>
                (evaluation.Evaluate(weights, clients, raw), testTokens.Count > 0 ? evaluation.EvaluateTest(weights, testTokens, testRaw, maxTestAccuracy) : null);
            var owned = vector is not null ? Score(vector) : untrained ??= Score(initial);
            perOwner.Add(owned.Scores);
            if (owned.Test is not null) tests.Add(owned.Test);
        }
        var scores = clients.Select((c, i) => new ClientScore(c.ClientId,
            perOwner.Average(s => s[i].Loss), perOwner.Average(s => s[i].Accuracy), c.HeldOut.Count)).ToList();
        TestScore? test = tests.Count == 0 ? null
            : new TestScore(tests.Average(t => t.Loss), tests.Average(t => t.Accuracy), tests[0].Examples, tests[0].AccuracyExamples);
        return (scores, test);
    }

    private sealed class SilentObserver : ISimulationObserver;
}
