using FedLlm.Data.Model;
using FedLlm.Data.Templates;
using FedLlm.Models;
using FedLlm.Models.Generation;

namespace FedLlm.Evaluation.Accuracy;

/// <summary>Accuracy of greedy answers against reference answers (exact match after normalisation).</summary>
public sealed class AnswerEvaluator(PretrainedModel model, ChatTemplate template, int maxNewTokens = 32)
{
    public sealed record Outcome(int Examples, int Correct)
    {
        public double Accuracy => Examples == 0 ? double.NaN : (double)Correct / Examples;
    }

    public string Answer(Conversation prompt) => Answer(prompt, maxNewTokens);

    private string Answer(Conversation prompt, int maxTokens)
    {
        string text = template.RenderPrompt(prompt.WithoutFinalResponse());
        var result = TextGenerator.Generate(model, model.EncodePrompt(text), new GenerationOptions
        {
            MaxNewTokens = maxTokens,
            StopStrings = [template.EndOfTurn],
        });
        return result.Text;
    }

    public Outcome Evaluate(IEnumerable<InstructionExample> examples)
    {
        int total = 0, correct = 0;
        foreach (var example in examples)
        {
            string? reference = example.Metadata.ReferenceAnswer ?? example.Conversation.FinalResponse;
            if (reference is null) continue;
            total++;
            if (ExactMatch.Matches(Answer(example.Conversation, TokenBudget(reference)), reference)) correct++;
        }
        return new Outcome(total, correct);
    }

    /// <summary>
    /// Tokens worth generating for a reference answer: twice its own token count plus slack covers a differently
    /// tokenised or punctuated match; a longer answer cannot match, and a model that never ends its turn would otherwise
    /// cost the full <c>maxNewTokens</c> per example.
    /// </summary>
    private int TokenBudget(string reference) => Math.Min(maxNewTokens, 2 * model.Tokenizer.Encode(reference).Count + 4);
}
