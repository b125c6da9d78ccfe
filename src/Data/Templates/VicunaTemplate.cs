namespace FedLlm.Data.Templates;

/// <summary>
/// FastChat's "vicuna_v1.1" template (fastchat/conversation.py: roles USER/ASSISTANT, SeparatorStyle.ADD_COLON_TWO,
/// sep " ", sep2 "&lt;/s&gt;"): "{system} USER: {u} ASSISTANT: {a}&lt;/s&gt;USER: ..." and a generation prompt ending
/// "ASSISTANT:". The space after "ASSISTANT:" therefore belongs to the response continuation but not to its span.
/// </summary>
public sealed class VicunaTemplate(string endOfTurn = "</s>", string? bos = null) : ChatTemplate(TemplateRegistry.Vicuna, endOfTurn, bos)
{
    public const string DefaultSystem =
        "A chat between a curious user and an artificial intelligence assistant. The assistant gives helpful, detailed, and polite answers to the user's questions.";

    protected override string Preamble(string? system) => (system ?? DefaultSystem) + " ";

    protected override string UserTurn(string content, bool isFirst) => "USER: " + content + " ";

    protected override string AssistantHeader => "ASSISTANT:";

    protected override string ResponsePrefix => " ";
}
