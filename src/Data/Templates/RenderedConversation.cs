namespace FedLlm.Data.Templates;

/// <summary>
/// A conversation rendered as model input. Each response span covers one assistant turn's content plus the
/// end-of-turn marker after it (the tokens the model must learn to produce); everything else is prompt and gets masked.
/// </summary>
public sealed record RenderedConversation(string Text, IReadOnlyList<TextSpan> ResponseSpans)
{
    /// <summary>Whether character <paramref name="index"/> lies in a response span.</summary>
    public bool IsResponse(int index)
    {
        foreach (var span in ResponseSpans)
        {
            if (span.Contains(index)) return true;
        }
        return false;
    }
}
