using System.Globalization;
using System.Text.Json.Nodes;
using FedLlm.Data.Model;
using FedLlm.Data.Templates;
using FedLlm.Evaluation.Accuracy;
using FedLlm.Federation.Client;
using FedLlm.Federation.Engine;
using FedLlm.Federation.Privacy;
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
public sealed record SimulationResult(RunDirectory Run, float[] Global, IReadOnlyList<ClientScore> FinalScores, IReadOnlyList<ClientScore>? BaseScores);

/// <summary>
/// N clients in one process sharing one base model: each round the engine hands tasks to an in-process executor that
/// loads the task's weights into the shared adapters and trains. Per-client state lives on disk. Every round is
/// checkpointed; a resumed run continues from the newest complete checkpoint and ends bit-identical to an uninterrupted one.
/// </summary>
public sealed class SimulationRunner(SimulationConfig config, PretrainedModel model, IReadOnlyList<InstructionExample> examples, ISimulationObserver? observer = null)
{
    public const string LocalWeightsKey = "local.weights";

    private readonly ISimulationObserver _observer = observer ?? new SilentObserver();

    /// <param name="evaluateBase">Also score the base model (adapters off) on every client's held-out data before training.</param>
    public async Task<SimulationResult> RunAsync(bool resume, bool evaluateBase = false, CancellationToken cancellation = default)
    {
        var problems = config.Validate();
        if (problems.Count > 0) throw new ArgumentException("invalid simulation config: " + string.Join("; ", problems));

        var run = new RunDirectory(config.RunDirectory);
        var split = FederatedDataset.Split(examples, config.Split, config.Seed);
        split.Save(run.SplitFile);
        var rawClients = FederatedDataset.Assign(examples, split, config.Data.HeldOutFraction, config.Seed);

        var template = TemplateRegistry.Get(config.Data.Template, endOfTurn: EndOfTurnFor(model));
        int? bos = model.Tokenizer.AddBosByDefault ? model.BosTokenId : null;
        var exampleTokenizer = new ExampleTokenizer(model.Tokenizer, template, config.Local.MaxSequenceLength, bos);
        var clients = rawClients.Select(c => new ClientData(c.ClientId,
            c.Train.Select(e => exampleTokenizer.Tokenize(e.Conversation)).OfType<TokenizedExample>().ToList(),
            c.HeldOut.Select(e => exampleTokenizer.Tokenize(e.Conversation)).OfType<TokenizedExample>().ToList())).ToList();
        var empty = clients.FirstOrDefault(c => c.Train.Count == 0);
        if (empty is not null) throw new ArgumentException($"client {empty.ClientId} has no trainable examples after tokenization");

        var adapters = LoraAdapterSet.Attach(model.Model, new LoraConfig
        {
            Rank = config.Lora.Rank,
            Alpha = config.Lora.Alpha,
            Dropout = config.Lora.Dropout,
            TargetModules = LoraConfig.ParseTargets(config.Lora.Targets),
            UseRsLora = config.Lora.UseRsLora,
            BaseModelNameOrPath = model.Directory,
        }, config.Seed);
        int padId = PadIdFor(model);
        var strategy = config.Privacy.Wrap(StrategyFactory.Create(config.Strategy.ToOptions(clients.Count, config.Rounds)), config, clients.Count);
        var state = new ClientStateStore(run.ClientStateDirectory);
        var trainer = new LocalClientTrainer(adapters, config.Local, state, padId, config.Seed, config.Privacy.ToDpSgdPlan(config));
        var executor = new InProcessExecutor(trainer, clients.ToDictionary(c => c.ClientId));
        var evaluation = new ClientEvaluation(model, adapters, new AnswerEvaluator(model, template), padId,
            config.Local.BatchSize, config.Data.MaxAccuracyExamplesPerClient);

        var baseScores = evaluateBase ? evaluation.Evaluate(null, clients, rawClients) : null;
        float[] global = adapters.Flatten();
        int firstRound = 0;
        if (resume && run.LatestCheckpoint() is var (doneRound, savedGlobal, strategyFile))
        {
            global = savedGlobal;
            using (var stream = File.OpenRead(strategyFile)) strategy.LoadState(stream);
            state.RollBackTo(doneRound);
            run.TruncateMetricsAfter(doneRound);
            firstRound = doneRound + 1;
            _observer.Message($"Resuming after round {doneRound + 1} of {config.Rounds}.");
        }
        else
        {
            state.RollBackTo(-1);
            if (File.Exists(run.MetricsFile)) File.Delete(run.MetricsFile);
        }
        run.WriteJson("config.json", SimulationConfigJson.ToJson(config));

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
            var roundRecord = RoundMetrics(outcome);
            privacy?.AddTo(roundRecord, outcome);
            encrypted?.AddMetrics(roundRecord, outcome, previousGlobal);
            run.AppendMetrics(roundRecord);
            _observer.RoundCompleted(outcome, config.Rounds);

            bool last = round == config.Rounds - 1 || privacy is { RunBudgetExhausted: true };
            if (last && round < config.Rounds - 1) _observer.Message($"Privacy budget ε = {config.Privacy.TargetEpsilon} reached: stopping after round {round + 1}.");
            if (last || (config.EvaluateEvery > 0 && (round + 1) % config.EvaluateEvery == 0))
            {
                scores = strategy.IsLocalOnly
                    ? EvaluateLocal(evaluation, clients, rawClients, state, round)
                    : evaluation.Evaluate(global, clients, rawClients);
                run.AppendMetrics(EvaluationMetrics(round, scores));
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

        return new SimulationResult(run, global, scores, baseScores);
    }

    /// <summary>Local-only baseline: each client's own model on every client's held-out data, averaged over clients.</summary>
    private static IReadOnlyList<ClientScore> EvaluateLocal(ClientEvaluation evaluation, IReadOnlyList<ClientData> clients,
        IReadOnlyList<ClientExamples> raw, ClientStateStore state, int round)
    {
        var perOwner = clients.Select(c => evaluation.Evaluate(state.Read(c.ClientId, LocalWeightsKey, round + 1), clients, raw)).ToList();
        return clients.Select((c, i) => new ClientScore(c.ClientId,
            perOwner.Average(s => s[i].Loss), perOwner.Average(s => s[i].Accuracy), c.HeldOut.Count)).ToList();
    }

    public static string? EndOfTurnFor(PretrainedModel model) =>
        model.Tokenizer.EosId is int eos ? model.Tokenizer.IdToToken(eos) : null;

    public static int PadIdFor(PretrainedModel model) =>
        model.Tokenizer.PadId ?? model.Config.PadTokenId ?? model.Tokenizer.EosId ?? 0;

    private static JsonObject RoundMetrics(RoundOutcome outcome) => new()
    {
        ["type"] = "round",
        ["round"] = outcome.Round,
        ["sampled"] = new JsonArray(outcome.Sampled.Select(id => (JsonNode)id).ToArray()),
        ["train_loss"] = new JsonObject(outcome.Accepted.Select(r =>
            KeyValuePair.Create(r.Update.ClientId.ToString(CultureInfo.InvariantCulture), double.IsNaN(r.Metrics.TrainLoss) ? null : (JsonNode?)r.Metrics.TrainLoss))),
        ["mean_train_loss"] = outcome.Accepted.Count == 0 || outcome.Accepted.Any(r => double.IsNaN(r.Metrics.TrainLoss))
            ? null : outcome.Accepted.Average(r => r.Metrics.TrainLoss),
        ["rejected"] = new JsonArray(outcome.Rejected.Select(r => (JsonNode)new JsonObject { ["client"] = r.ClientId, ["reason"] = r.Reason }).ToArray()),
        ["aggregate_update_norm"] = outcome.UpdateNorm,
        ["bytes_down"] = outcome.BytesDown,
        ["bytes_up"] = outcome.BytesUp,
        ["seconds"] = outcome.Seconds,
    };

    private static JsonObject EvaluationMetrics(int round, IReadOnlyList<ClientScore> scores)
    {
        var (loss, accuracy) = ClientEvaluation.Mean(scores);
        return new JsonObject
        {
            ["type"] = "evaluation",
            ["round"] = round,
            ["mean_held_out_loss"] = double.IsNaN(loss) ? null : loss,
            ["mean_held_out_perplexity"] = double.IsNaN(loss) ? null : Math.Exp(loss),
            ["mean_accuracy"] = double.IsNaN(accuracy) ? null : accuracy,
            ["clients"] = new JsonArray(scores.Select(s => (JsonNode)new JsonObject
            {
                ["client"] = s.ClientId,
                ["loss"] = double.IsNaN(s.Loss) ? null : s.Loss,
                ["accuracy"] = double.IsNaN(s.Accuracy) ? null : s.Accuracy,
                ["examples"] = s.Examples,
            }).ToArray()),
        };
    }

    private sealed class SilentObserver : ISimulationObserver;
}
