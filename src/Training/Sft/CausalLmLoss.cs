using FedLlm.Models.Llama;
using FedLlm.Training.Examples;
using static TorchSharp.torch;

namespace FedLlm.Training.Sft;

/// <summary>Next-token cross-entropy over labelled positions, summed (callers divide by the token count they choose).</summary>
public static class CausalLmLoss
{
    /// <returns>The summed loss, a scalar tensor.</returns>
    public static Tensor Summed(CausalLm model, Tensor inputIds, Tensor labels)
    {
        long length = inputIds.shape[1];
        var logits = model.Forward(inputIds.narrow(1, 0, length - 1));
        var targets = labels.narrow(1, 1, length - 1).flatten();
        return nn.functional.cross_entropy(logits.view(-1, logits.shape[2]), targets,
            ignore_index: TokenizedExample.IgnoreLabel, reduction: nn.Reduction.Sum);
    }

    /// <summary>Mean token loss over <paramref name="examples"/> without gradients.</summary>
    public static double Evaluate(CausalLm model, IReadOnlyList<TokenizedExample> examples, int batchSize, int padId)
    {
        double total = 0;
        long tokens = 0;
        using var noGrad = no_grad();
        foreach (var batch in examples.OrderBy(e => e.Length).Chunk(batchSize))
        {
            using var scope = NewDisposeScope();
            var (inputs, labels) = BatchCollator.Collate(batch, padId);
            total += Summed(model, inputs, labels).item<float>();
            tokens += labels.narrow(1, 1, labels.shape[1] - 1).ne(TokenizedExample.IgnoreLabel).sum().item<long>();
        }
        return tokens == 0 ? double.NaN : total / tokens;
    }
}
