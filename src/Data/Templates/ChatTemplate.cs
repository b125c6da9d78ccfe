using System.Text;
using FedLlm.Data.Model;

namespace FedLlm.Data.Templates;

/// <summary>
/// Renders conversations as text. A template is described by a few pieces; the layout of an assistant turn is
/// <c>AssistantHeader + ResponsePrefix + [content + EndOfTurn] + AfterResponse</c> where the bracketed part is the response span.
/// The rendered text never includes BOS unless one is given: the tokenizer normally adds it.
/// </summary>
public abstract class ChatTemplate
{
    protected ChatTemplate(string name, string endOfTurn, string? bos)
    {
        ArgumentException.ThrowIfNullOrEmpty(endOfTurn);
        Name = name;
        EndOfTurn = endOfTurn;
        Bos = bos;
    }

    public string Name { get; }

    /// <summary>Marker appended after every assistant turn (EOS or the template's end-of-turn token) and learned with it.</summary>
    public string EndOfTurn { get; }

    /// <summary>Text put at the very start, or null to leave BOS to the tokenizer.</summary>
    public string? Bos { get; }

    /// <summary>Text before the first turn: the system prompt in the template's form (may use a default).</summary>
    protected abstract string Preamble(string? system);

    /// <summary>A whole user turn, including its own end marker.</summary>
    protected abstract string UserTurn(string content, bool isFirst);

    /// <summary>What introduces an assistant turn; a generation prompt ends with it.</summary>
    protected abstract string AssistantHeader { get; }

    /// <summary>Text between the header and the response that is not part of a generation prompt (vicuna's space).</summary>
    protected virtual string ResponsePrefix => "";

    /// <summary>Text after the end-of-turn marker, outside the response span.</summary>
    protected virtual string AfterResponse => "";

    /// <summary>Renders every turn; a conversation ending with the user gets no assistant header (see <see cref="RenderPrompt"/>).</summary>
    public RenderedConversation Render(Conversation conversation)
    {
        ArgumentNullException.ThrowIfNull(conversation);
        var text = Begin(conversation);
        var spans = new List<TextSpan>();
        for (int i = 0; i < conversation.Turns.Count; i++)
        {
            var turn = conversation.Turns[i];
            if (turn.Role == Role.User)
            {
                text.Append(UserTurn(turn.Content, i == 0));
                continue;
            }
            text.Append(AssistantHeader).Append(ResponsePrefix);
            int start = text.Length;
            text.Append(turn.Content).Append(EndOfTurn);
            spans.Add(new TextSpan(start, text.Length - start));
            text.Append(AfterResponse);
        }
        return new RenderedConversation(text.ToString(), spans);
    }

    /// <summary>The generation prompt: the conversation (which must end with the user) followed by the assistant header.</summary>
    public string RenderPrompt(Conversation conversation)
    {
        ArgumentNullException.ThrowIfNull(conversation);
        if (conversation.EndsWithAssistant)
            throw new ArgumentException("A generation prompt must end with a user turn; use Conversation.WithoutFinalResponse().", nameof(conversation));
        return Render(conversation).Text + AssistantHeader;
    }

    /// <summary>What the model should produce after <see cref="RenderPrompt"/>: the response and the end-of-turn marker.</summary>
    public string RenderContinuation(string response)
    {
        ArgumentNullException.ThrowIfNull(response);
        return ResponsePrefix + response + EndOfTurn;
    }

    /// <summary>What a generated continuation starts with before the response itself (vicuna's space; empty for most).</summary>
    public string ContinuationPrefix => ResponsePrefix;

    public PreferenceRendering RenderPreference(PreferenceExample example)
    {
        ArgumentNullException.ThrowIfNull(example);
        return new PreferenceRendering(RenderPrompt(example.Prompt), RenderContinuation(example.Chosen), RenderContinuation(example.Rejected));
    }

    private StringBuilder Begin(Conversation conversation) =>
        new StringBuilder().Append(Bos).Append(Preamble(conversation.System));
}
