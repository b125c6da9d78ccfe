using System.Text.Json.Nodes;
using FedLlm.Data.Model;
using FedLlm.Federation.Client;
using FedLlm.Federation.Configuration;
using FedLlm.Federation.Engine;
using FedLlm.Federation.Strategies;
using FedLlm.Models;
using FedLlm.Models.Lora;
using FedLlm.Training.Examples;

namespace FedLlm.Federation.Runs;

/// <summary>
/// The simulation's transport: N clients in this process sharing one base model. Each task loads its weights into the
/// shared adapters and trains the addressed client on its own records; per-client state lives on disk, so memory does
/// not grow with N. Under encryption the members' side (keys, decryption, the members' copy of the server step) runs
/// here too, kept apart from what the engine sees.
/// </summary>
public sealed class InProcessFederation : FederationTransport, IDisposable
{
    public const string LocalWeightsKey = "local.weights";

    private readonly RunConfig _config;
    private readonly LoraAdapterSet _adapters;
    private readonly RunData _data;
    private readonly IReadOnlyList<ClientData> _clients;
    private readonly ClientStateStore _state;
    private readonly ClientEvaluator _evaluator;
    private readonly TokenizedData _globalTest;
    private readonly IClientExecutor _plainExecutor;
    private readonly bool _localOnly;
    private readonly RunDirectory _run;
    private EncryptedSimulation? _encrypted;

    public InProcessFederation(RunConfig config, PretrainedModel model, LoraAdapterSet adapters, RunData data, RunDirectory run, ServerStrategy strategy)
    {
        _config = config;
        _run = run;
        _adapters = adapters;
        _data = data;
        var tokenizer = RunSetup.CreateExampleTokenizer(model, config);
        _clients = [.. data.Clients.Select(c => RunSetup.Tokenize(c, tokenizer, config))];
        var empty = _clients.FirstOrDefault(c => c.Train.Count == 0);
        if (empty is not null) throw new ArgumentException($"client {empty.ClientId} has no trainable examples after tokenization");
        _globalTest = TokenizedData.Tokenize(tokenizer, config.MethodKind, data.GlobalTest);
        _state = new ClientStateStore(run.ClientStateDirectory);
        _evaluator = new ClientEvaluator(model, adapters, config, tokenizer.Template);
        _localOnly = strategy.IsLocalOnly;
        var trainer = new LocalClientTrainer(adapters, config, _state, model.PadId);
        // The central baseline trains one virtual client on the union of every client's training data.
        var executorClients = strategy.IsCentral
            ? new Dictionary<int, ClientData> { [CentralStrategy.VirtualClientId] = Pooled(_clients, config) }
            : _clients.ToDictionary(c => c.ClientId);
        _plainExecutor = new InProcessExecutor(trainer, executorClients);
        Members = [.. _clients.Select(c => c.ClientId)];
    }

    public override IReadOnlyList<int> Members { get; }

    public override int FederationSize => _clients.Count;

    public override IClientExecutor Executor => _encrypted?.Executor ?? _plainExecutor;

    public override IOpaqueUpdateAggregator? OpaqueAggregator => _encrypted?.ServerAggregator;

    public override float[]? LocalWeightsOf(int clientId, int round) => _state.Read(clientId, LocalWeightsKey, round);

    public override void Start(RunStart start)
    {
        _data.Split.Save(_run.SplitFile);
        // A crash mid-round may have left client state ahead of the restored checkpoint.
        _state.RollBackTo(start.ResumedAfterRound ?? -1);
        if (!_config.Encryption.Enabled) return;
        // The members' own copy of the server step: the same strategy, built again from the same config.
        var memberStrategy = _config.CreateStrategy(_clients.Count, _clients.Count);
        _encrypted = new EncryptedSimulation(_config, _adapters.Layout, Members, _plainExecutor, start.Global, memberStrategy);
        if (start.CheckpointFiles.TryGetValue(EncryptedSimulation.MemberStateFile, out byte[]? memberState)) _encrypted.Restore(start.Global, memberState);
    }

    public override float[] AfterRound(RoundOutcome outcome, float[] global)
    {
        if (_localOnly)
            foreach (var result in outcome.Accepted) _state.Write(result.Update.ClientId, LocalWeightsKey, outcome.Round, result.Update.Weights);
        return _encrypted?.FinishRound(outcome) ?? outcome.Global;
    }

    public override void AddRoundMetrics(JsonObject record, RoundOutcome outcome, float[] previousGlobal) =>
        _encrypted?.AddMetrics(record, outcome, previousGlobal);

    public override IReadOnlyDictionary<string, byte[]> CheckpointFiles() => _encrypted is null
        ? new Dictionary<string, byte[]>()
        : new Dictionary<string, byte[]> { [EncryptedSimulation.MemberStateFile] = _encrypted.MemberState() };

    public override void Checkpointed(int round, string folder) => _state.Prune(round);

    public override Task<EvaluationResult> EvaluateAsync(int round, EvaluatedModel model, float[]? weights, CancellationToken cancellation) =>
        Task.FromResult(model == EvaluatedModel.LocalOnly ? EvaluateLocalOnly(round, weights!) : Evaluate(weights));

    public override IReadOnlyList<FederationMember> DescribeMembers() =>
        [.. _data.Clients.Select(c => new FederationMember(c.ClientId, c.Name, c.Train.Count, c.HeldOut.Count))];

    public void Dispose() => _encrypted?.Dispose();

    private EvaluationResult Evaluate(float[]? weights)
    {
        var scores = _evaluator.Score(weights, [.. _clients.Select((c, i) => (c, _data.Clients[i].HeldOut))]);
        var test = _globalTest.Count > 0 ? _evaluator.ScoreTest(weights, _globalTest, _data.GlobalTest) : null;
        return new EvaluationResult(scores, test);
    }

    /// <summary>
    /// Local-only baseline: each client's own model on every client's held-out data (and on the global test set),
    /// averaged over the owners. Owners that never trained still hold the initial adapter: it is scored once.
    /// </summary>
    private EvaluationResult EvaluateLocalOnly(int round, float[] initial)
    {
        var perOwner = new List<EvaluationResult>(_clients.Count);
        EvaluationResult? untrained = null;
        foreach (var owner in _clients)
        {
            float[]? own = _state.Read(owner.ClientId, LocalWeightsKey, round + 1);
            perOwner.Add(own is not null ? Evaluate(own) : untrained ??= Evaluate(initial));
        }
        var scores = _clients.Select((c, i) => new ClientScore(c.ClientId,
            perOwner.Average(r => r.Scores[i].Loss), perOwner.Average(r => r.Scores[i].Accuracy), perOwner[0].Scores[i].Examples)).ToList();
        var tests = perOwner.Select(r => r.Test).OfType<TestScore>().ToList();
        TestScore? test = tests.Count == 0 ? null
            : new TestScore(tests.Average(t => t.Loss), tests.Average(t => t.Accuracy), tests[0].Examples, tests[0].AccuracyExamples);
        return new EvaluationResult(scores, test);
    }

    private static ClientData Pooled(IReadOnlyList<ClientData> clients, RunConfig config) =>
        new(CentralStrategy.VirtualClientId,
            new TokenizedData(config.MethodKind, [.. clients.SelectMany(c => c.Train.Sequences)], [.. clients.SelectMany(c => c.Train.Pairs)]),
            TokenizedData.Empty(config.MethodKind));
}
