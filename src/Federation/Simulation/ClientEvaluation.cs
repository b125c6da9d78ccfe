using FedLlm.Data.Model;
using FedLlm.Evaluation.Accuracy;
using FedLlm.Federation.Client;
using FedLlm.Models;
using FedLlm.Models.Lora;
using FedLlm.Training.Examples;
using FedLlm.Training.Sft;

namespace FedLlm.Federation.Simulation;

/// <summary>Held-out loss and answer accuracy of one model state on one client's held-out data.</summary>
public sealed record ClientScore(int ClientId, double Loss, double Accuracy, int Examples);

/// <summary>Loss, perplexity and accuracy of one model state on the global test set (NaN where not measurable).</summary>
public sealed record TestScore(double Loss, double Accuracy, int Examples, int AccuracyExamples)
{
    public double Perplexity => double.IsNaN(Loss) ? double.NaN : Math.Exp(Loss);
}

/// <summary>Evaluates adapter vectors on every client's held-out data (the data never moves; the simulation just runs it locally).</summary>
public sealed class ClientEvaluation(PretrainedModel model, LoraAdapterSet adapters, AnswerEvaluator answers, int padId, int batchSize, int maxAccuracyExamples)
{
    /// <param name="vector">Adapter weights to evaluate, or null for the base model (adapters off).</param>
    public IReadOnlyList<ClientScore> Evaluate(float[]? vector, IReadOnlyList<ClientData> clients, IReadOnlyList<ClientExamples> raw) =>
        With(vector, () =>
        {
            var scores = new List<ClientScore>(clients.Count);
            for (int i = 0; i < clients.Count; i++)
            {
                double loss = clients[i].HeldOut.Count == 0 ? double.NaN : CausalLmLoss.Evaluate(model.Model, clients[i].HeldOut, batchSize, padId);
                var accuracy = answers.Evaluate(raw[i].HeldOut.Take(maxAccuracyExamples));
                scores.Add(new ClientScore(clients[i].ClientId, loss, accuracy.Accuracy, clients[i].HeldOut.Count));
            }
            return (IReadOnlyList<ClientScore>)scores;
        });

    /// <summary>Scores the global test set; accuracy uses only records with a reference answer (up to <paramref name="maxAccuracy"/>).</summary>
    public TestScore EvaluateTest(float[]? vector, IReadOnlyList<TokenizedExample> tokenized, IReadOnlyList<InstructionExample> raw, int maxAccuracy) =>
        With(vector, () =>
        {
            double loss = tokenized.Count == 0 ? double.NaN : CausalLmLoss.Evaluate(model.Model, tokenized, batchSize, padId);
            var withAnswers = raw.Where(e => e.Metadata.ReferenceAnswer is not null).Take(maxAccuracy).ToList();
            var accuracy = answers.Evaluate(withAnswers);
            return new TestScore(loss, accuracy.Accuracy, tokenized.Count, accuracy.Examples);
        });

    private T With<T>(float[]? vector, Func<T> evaluate)
    {
        if (vector is null) adapters.Enabled = false;
        else adapters.Load(vector);
        try { return evaluate(); }
        finally { adapters.Enabled = true; }
    }

    public static (double Loss, double Accuracy) Mean(IEnumerable<ClientScore> scores)
    {
        var list = scores.Where(s => s.Examples > 0).ToList();
        return list.Count == 0 ? (double.NaN, double.NaN) : (list.Average(s => s.Loss), list.Average(s => double.IsNaN(s.Accuracy) ? 0 : s.Accuracy));
    }
}
