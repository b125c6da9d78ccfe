using FedLlm.Data.Model;
using FedLlm.Data.Templates;
using FedLlm.Tokenization;
using FedLlm.Training.Dpo;

namespace FedLlm.Training.Examples;

/// <summary>
/// Turns rendered conversations into token ids and loss labels. Which tokens are trained is decided from character
/// offsets: a token is trained when any of its characters lies in a response span of the rendered template, so no
/// tokenizer-specific marker search is needed and multi-turn conversations mask every user turn.
/// </summary>
public sealed class ExampleTokenizer(ITokenizer tokenizer, ChatTemplate template, int maxLength, int? bosId)
{
    /// <summary>How many examples had to be cut to fit <c>maxLength</c>.</summary>
    public int Truncated { get; private set; }

    /// <summary>How many examples were dropped because no response token could be kept.</summary>
    public int Dropped { get; private set; }

    public ChatTemplate Template => template;

    /// <summary>An SFT example from a conversation ending with the assistant; null (and counted) when nothing trainable remains.</summary>
    public TokenizedExample? Tokenize(Conversation conversation)
    {
        var rendered = template.Render(conversation);
        return Tokenize(rendered.Text, rendered.ResponseSpans);
    }

    /// <summary>A DPO pair: the rendered prompt continued with the chosen and with the rejected response.</summary>
    public PreferencePair? Tokenize(PreferenceExample example)
    {
        var rendering = template.RenderPreference(example);
        var chosen = Tokenize(rendering.Prompt + rendering.Chosen, [new TextSpan(rendering.Prompt.Length, rendering.Chosen.Length)]);
        var rejected = Tokenize(rendering.Prompt + rendering.Rejected, [new TextSpan(rendering.Prompt.Length, rendering.Rejected.Length)]);
        return chosen is null || rejected is null ? null : new PreferencePair(chosen, rejected);
    }

    /// <summary>Plain text where every token is trained (language modelling).</summary>
    public TokenizedExample? TokenizeText(string text) => Tokenize(text, [new TextSpan(0, text.Length)]);

    public TokenizedExample? Tokenize(string text, IReadOnlyList<TextSpan> responseSpans)
    {
        var tokens = tokenizer.Encode(text);
        var ids = new List<int>(tokens.Count + 1);
        var labels = new List<int>(tokens.Count + 1);
        if (bosId is int bos)
        {
            ids.Add(bos);
            labels.Add(TokenizedExample.IgnoreLabel);
        }
        foreach (var token in tokens)
        {
            ids.Add(token.Id);
            labels.Add(Overlaps(token, responseSpans) ? token.Id : TokenizedExample.IgnoreLabel);
        }
        return Fit(ids, labels, bosId is not null);
    }

    /// <summary>
    /// Cuts a sequence to <c>maxLength</c> without ever dropping the whole response: the oldest prompt tokens (after BOS)
    /// go first, down to a quarter window of prompt context; only then is the tail cut.
    /// </summary>
    private TokenizedExample? Fit(List<int> ids, List<int> labels, bool hasBos)
    {
        int firstResponse = labels.FindIndex(l => l != TokenizedExample.IgnoreLabel);
        if (firstResponse < 0)
        {
            Dropped++;
            return null;
        }
        if (ids.Count <= maxLength) return new TokenizedExample(ids.ToArray(), labels.ToArray());

        Truncated++;
        int keep = hasBos ? 1 : 0;
        int promptTokens = firstResponse - keep;
        int minimumPrompt = Math.Min(promptTokens, maxLength / 4);
        int fromPrompt = Math.Min(ids.Count - maxLength, promptTokens - minimumPrompt);
        if (fromPrompt > 0)
        {
            ids.RemoveRange(keep, fromPrompt);
            labels.RemoveRange(keep, fromPrompt);
        }
        if (ids.Count > maxLength)
        {
            ids.RemoveRange(maxLength, ids.Count - maxLength);
            labels.RemoveRange(maxLength, labels.Count - maxLength);
        }
        return new TokenizedExample(ids.ToArray(), labels.ToArray());
    }

    private static bool Overlaps(EncodedToken token, IReadOnlyList<TextSpan> spans)
    {
        foreach (var span in spans)
            if (token.Start < span.End && token.End > span.Start) return true;
        return false;
    }
}
