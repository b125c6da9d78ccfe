using static TorchSharp.torch;

namespace FedLlm.Training.Examples;

/// <summary>Right-pads a group of examples into [batch, length] input and label tensors.</summary>
public static class BatchCollator
{
    public static (Tensor InputIds, Tensor Labels) Collate(IReadOnlyList<TokenizedExample> examples, int padId)
    {
        int length = examples.Max(e => e.Length);
        var inputs = new long[examples.Count * length];
        var labels = new long[examples.Count * length];
        for (int b = 0; b < examples.Count; b++)
        {
            var example = examples[b];
            for (int t = 0; t < length; t++)
            {
                bool real = t < example.Length;
                inputs[b * length + t] = real ? example.InputIds[t] : padId;
                labels[b * length + t] = real ? example.Labels[t] : TokenizedExample.IgnoreLabel;
            }
        }
        return (tensor(inputs, [examples.Count, length]), tensor(labels, [examples.Count, length]));
    }
}
