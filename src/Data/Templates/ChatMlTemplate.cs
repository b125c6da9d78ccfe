namespace FedLlm.Data.Templates;

/// <summary>
/// ChatML as in the common Hugging Face chat template: "&lt;|im_start|&gt;{role}\n{content}&lt;|im_end|&gt;\n" per message,
/// generation prompt "&lt;|im_start|&gt;assistant\n". No default system prompt (Qwen's template adds one; pass it as System).
/// </summary>
public sealed class ChatMlTemplate(string endOfTurn = ChatMlTemplate.ImEnd, string? bos = null) : ChatTemplate(TemplateRegistry.ChatMl, endOfTurn, bos)
{
    public const string ImStart = "<|im_start|>";
    public const string ImEnd = "<|im_end|>";

    protected override string Preamble(string? system) => system is null ? "" : ImStart + "system\n" + system + ImEnd + "\n";

    protected override string UserTurn(string content, bool isFirst) => ImStart + "user\n" + content + ImEnd + "\n";

    protected override string AssistantHeader => ImStart + "assistant\n";

    protected override string AfterResponse => "\n";
}
