using TorchSharp;
using FedLlm.Models;
using FedLlm.Models.Llama;
using FedLlm.Models.Lora;
using FedLlm.Training.Examples;
using static TorchSharp.torch;

namespace FedLlm.Training.Dpo;

/// <summary>
/// DPO quantities without training, shared by the trainer, <c>fedllm train</c>'s evaluation and federated clients'
/// evaluation: reference log-probabilities (the base with adapters off), implicit rewards and the held-out DPO loss.
/// </summary>
public static class DpoScoring
{
    /// <summary>Reference (adapter-off) log-probabilities of chosen and rejected responses, one pair per row.</summary>
    public static (double[] Chosen, double[] Rejected) ReferenceLogProbs(LoraAdapterSet adapters, IReadOnlyList<PreferencePair> pairs, int batchSize, int padId)
    {
        var chosen = new double[pairs.Count];
        var rejected = new double[pairs.Count];
        adapters.Enabled = false;
        try
        {
            using var noGrad = no_grad();
            for (int start = 0; start < pairs.Count; start += batchSize)
            {
                var batch = pairs.Skip(start).Take(batchSize).ToList();
                using var scope = NewDisposeScope();
                var c = LogProbs(adapters.Model, batch.Select(p => p.Chosen).ToList(), padId).data<float>().ToArray();
                var r = LogProbs(adapters.Model, batch.Select(p => p.Rejected).ToList(), padId).data<float>().ToArray();
                for (int i = 0; i < batch.Count; i++)
                {
                    chosen[start + i] = c[i];
                    rejected[start + i] = r[i];
                }
            }
        }
        finally
        {
            adapters.Enabled = true;
        }
        return (chosen, rejected);
    }

    /// <summary>
    /// DPO loss, mean implicit rewards and preference accuracy of the current policy on <paramref name="pairs"/>, given
    /// their reference log-probabilities. Dropout should be off (adapters not in training mode) for a deterministic score.
    /// </summary>
    public static DpoEvaluation Evaluate(CausalLm model, IReadOnlyList<PreferencePair> pairs, (double[] Chosen, double[] Rejected) reference,
        double beta, int batchSize, int padId)
    {
        if (reference.Chosen.Length != pairs.Count || reference.Rejected.Length != pairs.Count)
            throw new ArgumentException($"{pairs.Count} pairs but {reference.Chosen.Length} reference log-probabilities");
        if (pairs.Count == 0) return new DpoEvaluation(double.NaN, double.NaN, double.NaN, double.NaN, 0);
        double loss = 0, rewardChosen = 0, rewardRejected = 0, correct = 0;
        using var betaScalar = beta.ToScalar(); // held, not implicit: see RootedScalars
        using var noGrad = no_grad();
        for (int start = 0; start < pairs.Count; start += batchSize)
        {
            var batch = pairs.Skip(start).Take(batchSize).ToList();
            using var scope = NewDisposeScope();
            var chosenRewards = Rewards(LogProbs(model, batch.Select(p => p.Chosen).ToList(), padId), reference.Chosen.Skip(start).Take(batch.Count), betaScalar);
            var rejectedRewards = Rewards(LogProbs(model, batch.Select(p => p.Rejected).ToList(), padId), reference.Rejected.Skip(start).Take(batch.Count), betaScalar);
            loss += (-nn.functional.logsigmoid(chosenRewards.Minus(rejectedRewards))).sum().item<float>();
            rewardChosen += chosenRewards.sum().item<float>();
            rewardRejected += rejectedRewards.sum().item<float>();
            correct += chosenRewards.gt(rejectedRewards).sum().item<long>();
        }
        int n = pairs.Count;
        return new DpoEvaluation(loss / n, rewardChosen / n, rewardRejected / n, correct / n, n);
    }

    /// <summary>Summed log-probability of each example's labelled tokens, one value per row.</summary>
    public static Tensor LogProbs(CausalLm model, IReadOnlyList<TokenizedExample> examples, int padId)
    {
        using var scope = NewDisposeScope();
        var (inputs, labels) = BatchCollator.Collate(examples, padId);
        return SequenceLogProbs.Compute(model, inputs, labels).MoveToOuterDisposeScope();
    }

    /// <summary>β·(log π(y|x) − log π_ref(y|x)) per pair.</summary>
    public static Tensor Rewards(Tensor policy, IEnumerable<double> reference, Scalar beta) =>
        policy.Minus(tensor(reference.Select(v => (float)v).ToArray())).mul_(beta);
}
