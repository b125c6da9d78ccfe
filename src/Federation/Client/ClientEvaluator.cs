using FedLlm.Data.Model;
using FedLlm.Data.Templates;
using FedLlm.Evaluation.Accuracy;
using FedLlm.Federation.Configuration;
using FedLlm.Models;
using FedLlm.Models.Lora;
using FedLlm.Training.Dpo;
using FedLlm.Training.Examples;
using FedLlm.Training.Sft;

namespace FedLlm.Federation.Client;

/// <summary>
/// Held-out loss and accuracy of one model state on one client's held-out data. SFT: token loss and greedy exact-match
/// accuracy against reference answers. DPO: the DPO loss and preference accuracy against the base (adapters off).
/// </summary>
public sealed record ClientScore(int ClientId, double Loss, double Accuracy, int Examples);

/// <summary>Loss, perplexity and accuracy of one model state on the global test set (NaN where not measurable).</summary>
public sealed record TestScore(double Loss, double Accuracy, int Examples, int AccuracyExamples)
{
    public double Perplexity => double.IsNaN(Loss) ? double.NaN : Math.Exp(Loss);
}

/// <summary>
/// Scores adapter vectors on held-out data where the data lives: the simulation runs it for every client in one process,
/// a deployed client runs it on its own data when the server asks. One implementation for both.
/// </summary>
public sealed class ClientEvaluator
{
    private readonly PretrainedModel _model;
    private readonly LoraAdapterSet _adapters;
    private readonly RunConfig _config;
    private readonly AnswerEvaluator _answers;
    private readonly DpoReferenceCache _dpoReference;

    public ClientEvaluator(PretrainedModel model, LoraAdapterSet adapters, RunConfig config, ChatTemplate template)
    {
        _model = model;
        _adapters = adapters;
        _config = config;
        _answers = new AnswerEvaluator(model, template);
        _dpoReference = new DpoReferenceCache(adapters, config.Training.BatchSize, model.PadId);
    }

    /// <param name="vector">Adapter weights to score, or null for the base model (adapters off).</param>
    public IReadOnlyList<ClientScore> Score(float[]? vector, IReadOnlyList<(ClientData Data, IReadOnlyList<Example> HeldOut)> clients)
    {
        // DPO's reference switches the adapters off and on: settle it before the scored state is set up.
        if (_config.IsDpo) foreach (var (data, _) in clients) Reference(data.ClientId, data.HeldOut);
        return With(vector, () => (IReadOnlyList<ClientScore>)clients.Select(c => ScoreLoaded(c.Data, c.HeldOut)).ToList());
    }

    /// <summary>Scores the global test set; accuracy uses only records with a reference answer (up to evaluation.max_test_accuracy_examples).</summary>
    public TestScore ScoreTest(float[]? vector, TokenizedData test, IReadOnlyList<Example> raw)
    {
        if (_config.IsDpo) Reference(GlobalTestOwner, test);
        return With(vector, () =>
        {
            if (_config.IsDpo)
            {
                var dpo = DpoScoring.Evaluate(_model.Model, test.Pairs, Reference(GlobalTestOwner, test), _config.Dpo.Beta, _config.Training.BatchSize, _model.PadId);
                return new TestScore(dpo.Loss, dpo.Accuracy, dpo.Pairs, dpo.Pairs);
            }
            double loss = test.Count == 0 ? double.NaN : CausalLmLoss.Evaluate(_model.Model, test.Sequences, _config.Training.BatchSize, _model.PadId);
            var withAnswers = raw.OfType<InstructionExample>().Where(e => e.Metadata.ReferenceAnswer is not null).Take(_config.Evaluation.MaxTestAccuracyExamples).ToList();
            var accuracy = _answers.Evaluate(withAnswers);
            return new TestScore(loss, accuracy.Accuracy, test.Count, accuracy.Examples);
        });
    }

    /// <summary>The reference cache's key for the global test set (client ids are never negative).</summary>
    private const int GlobalTestOwner = -1;

    private ClientScore ScoreLoaded(ClientData data, IReadOnlyList<Example> heldOut)
    {
        if (_config.IsDpo)
        {
            var dpo = DpoScoring.Evaluate(_model.Model, data.HeldOut.Pairs, Reference(data.ClientId, data.HeldOut), _config.Dpo.Beta,
                _config.Training.BatchSize, _model.PadId);
            return new ClientScore(data.ClientId, dpo.Loss, dpo.Accuracy, dpo.Pairs);
        }
        double loss = data.HeldOut.Count == 0 ? double.NaN : CausalLmLoss.Evaluate(_model.Model, data.HeldOut.Sequences, _config.Training.BatchSize, _model.PadId);
        var accuracy = _answers.Evaluate(heldOut.OfType<InstructionExample>().Take(_config.Evaluation.MaxAccuracyExamples));
        return new ClientScore(data.ClientId, loss, accuracy.Accuracy, data.HeldOut.Count);
    }

    private (double[] Chosen, double[] Rejected) Reference(int owner, TokenizedData data) => _dpoReference.Of(owner, data.Pairs);

    private T With<T>(float[]? vector, Func<T> evaluate)
    {
        if (vector is null) _adapters.Enabled = false;
        else _adapters.Load(vector);
        try { return evaluate(); }
        finally { _adapters.Enabled = true; }
    }

    /// <summary>Mean loss and accuracy over clients that hold held-out data (an unmeasured accuracy counts as 0).</summary>
    public static (double Loss, double Accuracy) Mean(IEnumerable<ClientScore> scores)
    {
        var list = scores.Where(s => s.Examples > 0).ToList();
        return list.Count == 0 ? (double.NaN, double.NaN) : (list.Average(s => s.Loss), list.Average(s => double.IsNaN(s.Accuracy) ? 0 : s.Accuracy));
    }
}
