using FedLlm.Data.Templates;
using FedLlm.Evaluation.Perplexity;
using FedLlm.Generation.Local;
using FedLlm.Training.Dpo;
using FedLlm.Training.Examples;
using static TorchSharp.torch;

namespace FedLlm.Evaluation.Scoring;

/// <summary>The log-probability a model gives a continuation after its context, and over how many tokens.</summary>
public sealed record ContinuationScore(double LogProb, int Tokens)
{
    public double MeanLoss => Tokens == 0 ? double.NaN : -LogProb / Tokens;
}

/// <summary>
/// Teacher-forced scoring on an <see cref="AdapterHost"/>'s model with any of its adapters: continuations after a context
/// (choices, labels, targets) in batches, and whole texts in windows. Tokenisation is the trainer's: context and
/// continuation are tokenised together and a token belongs to the continuation when any of its characters does, so a
/// continuation is scored exactly as it was trained. A pair longer than the context loses its oldest context tokens first.
/// Never call it while the host is decoding: both route the one adapter bank.
/// </summary>
public sealed class LikelihoodScorer(AdapterHost models, int batchSize)
{
    private readonly ExampleTokenizer _tokenizer = new(models.Model.Tokenizer, models.Template, models.Model.Config.MaxPositionEmbeddings, models.Model.PrependedBosId);

    public ChatTemplate Template => models.Template;

    /// <summary>Scores each (context, continuation) pair under model <paramref name="index"/> (0: the base).</summary>
    public IReadOnlyList<ContinuationScore> Score(int index, IReadOnlyList<(string Context, string Continuation)> pairs)
    {
        var scores = new ContinuationScore[pairs.Count];
        var tokenized = pairs.Select(p => _tokenizer.Tokenize(p.Context + p.Continuation, [new TextSpan(p.Context.Length, p.Continuation.Length)])).ToList();
        using var noGrad = no_grad();
        // Similar lengths together waste less padding; the order of rows does not change any row's result.
        var order = Enumerable.Range(0, pairs.Count).Where(i => tokenized[i] is not null).OrderBy(i => tokenized[i]!.Length).ToList();
        foreach (int i in Enumerable.Range(0, pairs.Count).Where(i => tokenized[i] is null)) scores[i] = new ContinuationScore(double.NaN, 0);
        for (int start = 0; start < order.Count; start += batchSize)
        {
            var rows = order.Skip(start).Take(batchSize).ToList();
            var batch = rows.Select(i => tokenized[i]!).ToList();
            using var scope = NewDisposeScope();
            Route(index, batch.Count);
            var (inputs, labels) = BatchCollator.Collate(batch, models.Model.PadId);
            float[] logProbs = SequenceLogProbs.Compute(models.Model.Model, inputs, labels).data<float>().ToArray();
            for (int r = 0; r < rows.Count; r++) scores[rows[r]] = new ContinuationScore(logProbs[r], batch[r].TargetTokens);
        }
        return scores;
    }

    /// <summary>A whole text's token loss under model <paramref name="index"/>, in context-sized windows (<see cref="SequenceScorer"/>).</summary>
    public SequenceScore ScoreText(int index, string text)
    {
        Route(index, 1);
        return new SequenceScorer(models.Model).Score(text);
    }

    private void Route(int index, int rows) => models.Bank?.Route([.. Enumerable.Repeat(index, rows)]);
}
