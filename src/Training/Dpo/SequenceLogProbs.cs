using FedLlm.Models.Llama;
using FedLlm.Training.Examples;
using static TorchSharp.torch;

namespace FedLlm.Training.Dpo;

/// <summary>Sum of log-probabilities of each sequence's labelled tokens.</summary>
public static class SequenceLogProbs
{
    /// <returns>[batch] tensor of summed log-probabilities over positions whose label is not ignored.</returns>
    public static Tensor Compute(CausalLm model, Tensor inputIds, Tensor labels)
    {
        using var scope = NewDisposeScope();
        long length = inputIds.shape[1];
        var logits = model.Forward(inputIds.narrow(1, 0, length - 1));
        var targets = labels.narrow(1, 1, length - 1);
        var mask = targets.ne(TokenizedExample.IgnoreLabel);
        var safeTargets = targets.where(mask, zeros_like(targets));
        var tokenLogProbs = logits.log_softmax(-1).gather(2, safeTargets.unsqueeze(2)).squeeze(2);
        return (tokenLogProbs * mask.to(tokenLogProbs.dtype)).sum(1).MoveToOuterDisposeScope();
    }
}
