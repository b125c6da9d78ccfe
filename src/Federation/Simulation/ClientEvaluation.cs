using FedLlm.Data.Model;
using FedLlm.Evaluation.Accuracy;
using FedLlm.Federation.Client;
using FedLlm.Models;
using FedLlm.Models.Lora;
using FedLlm.Training.Sft;

namespace FedLlm.Federation.Simulation;

/// <summary>Held-out loss and answer accuracy of one model state on one client's held-out data.</summary>
public sealed record ClientScore(int ClientId, double Loss, double Accuracy, int Examples);

/// <summary>Evaluates adapter vectors on every client's held-out data (the data never moves; the simulation just runs it locally).</summary>
public sealed class ClientEvaluation(PretrainedModel model, LoraAdapterSet adapters, AnswerEvaluator answers, int padId, int batchSize, int maxAccuracyExamples)
{
    /// <param name="vector">Adapter weights to evaluate, or null for the base model (adapters off).</param>
    public IReadOnlyList<ClientScore> Evaluate(float[]? vector, IReadOnlyList<ClientData> clients, IReadOnlyList<ClientExamples> raw)
    {
        if (vector is null) adapters.Enabled = false;
        else adapters.Load(vector);
        try
        {
            var scores = new List<ClientScore>(clients.Count);
            for (int i = 0; i < clients.Count; i++)
            {
                double loss = clients[i].HeldOut.Count == 0 ? double.NaN : CausalLmLoss.Evaluate(model.Model, clients[i].HeldOut, batchSize, padId);
                var accuracy = answers.Evaluate(raw[i].HeldOut.Take(maxAccuracyExamples));
                scores.Add(new ClientScore(clients[i].ClientId, loss, accuracy.Accuracy, clients[i].HeldOut.Count));
            }
            return scores;
        }
        finally
        {
            adapters.Enabled = true;
        }
    }

    public static (double Loss, double Accuracy) Mean(IEnumerable<ClientScore> scores)
    {
        var list = scores.Where(s => s.Examples > 0).ToList();
        return list.Count == 0 ? (double.NaN, double.NaN) : (list.Average(s => s.Loss), list.Average(s => double.IsNaN(s.Accuracy) ? 0 : s.Accuracy));
    }
}
