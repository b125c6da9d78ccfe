using FedLlm.Models;
using static TorchSharp.torch;

namespace FedLlm.Evaluation.Perplexity;

/// <summary>Token-level negative log-likelihood of a text under a model.</summary>
public sealed record SequenceScore(int Tokens, double TotalLoss)
{
    public double MeanLoss => Tokens == 0 ? double.NaN : TotalLoss / Tokens;
    public double Perplexity => Math.Exp(MeanLoss);
}

/// <summary>
/// Scores texts with teacher forcing. Texts longer than the context are cut into consecutive windows; each window
/// restarts from BOS, so every token is predicted exactly once (a standard, slightly pessimistic, strided evaluation).
/// </summary>
public sealed class SequenceScorer(PretrainedModel model, int? windowTokens = null)
{
    private readonly int _window = Math.Min(windowTokens ?? model.Config.MaxPositionEmbeddings, model.Config.MaxPositionEmbeddings);

    public SequenceScore Score(string text)
    {
        var ids = model.Tokenizer.Encode(text).Select(t => t.Id).ToList();
        int? bos = model.PrependedBosId;
        // Each window predicts all but its first input. Windows therefore advance by window − 1: with BOS the window
        // holds BOS + window − 1 text tokens; without, consecutive windows share one token (the next window's first
        // input is the last token the previous one predicted), so every token after the first is predicted exactly once.
        int contextPerWindow = _window - (bos is null ? 0 : 1);
        int stride = _window - 1;
        if (stride < 1) throw new ArgumentOutOfRangeException(nameof(windowTokens), _window, "the scoring window must hold at least 2 tokens");
        if (bos is null && ids.Count < 2) return new SequenceScore(0, 0);

        int tokens = 0;
        double total = 0;
        using var noGrad = no_grad();
        for (int start = 0; start < ids.Count; start += stride)
        {
            var window = new List<long>();
            if (bos is int b) window.Add(b);
            window.AddRange(ids.Skip(start).Take(contextPerWindow).Select(i => (long)i));
            if (window.Count < 2) break;

            using var scope = NewDisposeScope();
            var input = tensor(window.ToArray()).unsqueeze(0);
            var logits = model.Model.Forward(input.narrow(1, 0, window.Count - 1));
            var targets = input.narrow(1, 1, window.Count - 1);
            var loss = nn.functional.cross_entropy(logits.view(-1, logits.shape[2]), targets.flatten(), reduction: nn.Reduction.Sum);
            total += loss.item<float>();
            tokens += window.Count - 1;
        }
        return new SequenceScore(tokens, total);
    }
}
