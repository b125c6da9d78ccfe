using FedLlm.Models.Llama;
using FedLlm.Training.Examples;
using static TorchSharp.torch;

namespace FedLlm.Training.Privacy;

/// <summary>
/// Next-token cross-entropy per example: the mean over that example's labelled tokens. Unlike the batch loss of the
/// SFT trainer (summed tokens / tokens in the step), it does not depend on the other examples, which DP-SGD needs
/// for one example's gradient to be a function of that example alone.
/// </summary>
public static class PerExampleLoss
{
    /// <returns>A [batch] tensor; examples without labelled tokens get 0.</returns>
    public static Tensor Compute(CausalLm model, Tensor inputIds, Tensor labels)
    {
        long batch = inputIds.shape[0], length = inputIds.shape[1];
        var logits = model.Forward(inputIds.narrow(1, 0, length - 1));
        var targets = labels.narrow(1, 1, length - 1);
        var tokenLoss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[2]), targets.flatten(),
            ignore_index: TokenizedExample.IgnoreLabel, reduction: nn.Reduction.None).view(batch, length - 1);
        var counts = targets.ne(TokenizedExample.IgnoreLabel).sum(1).to(ScalarType.Float32).clamp_min(1);
        return tokenLoss.sum(1) / counts;
    }
}
