using FedLlm.Evaluation.Scoring;

namespace FedLlm.Evaluation.Metrics;

/// <summary>Log-likelihood of every option of every item (labels or choices), batched across items.</summary>
public static class ChoiceScores
{
    public static IReadOnlyList<IReadOnlyList<ContinuationScore>> Score(TaskContext context)
    {
        var pairs = new List<(string, string)>();
        foreach (var item in context.Items)
        {
            string prompt = context.RenderedPrompt(item);
            pairs.AddRange(item.Continuations.Select(c => (prompt, c)));
        }
        var flat = context.Scorer.Score(context.ModelIndex, pairs);
        var result = new List<IReadOnlyList<ContinuationScore>>();
        int at = 0;
        foreach (var item in context.Items)
        {
            result.Add([.. flat.Skip(at).Take(item.Continuations.Count)]);
            at += item.Continuations.Count;
        }
        return result;
    }

    /// <summary>The index of the likeliest option; <paramref name="normalise"/> divides by the option's length in characters. Ties: the first.</summary>
    public static int Best(IReadOnlyList<ContinuationScore> scores, bool normalise, IReadOnlyList<string>? texts = null)
    {
        int best = 0;
        double bestValue = double.NegativeInfinity;
        for (int i = 0; i < scores.Count; i++)
        {
            double value = normalise ? scores[i].LogProb / Math.Max(1, texts![i].Length) : scores[i].LogProb;
            if (value > bestValue)
            {
                best = i;
                bestValue = value;
            }
        }
        return best;
    }
}
