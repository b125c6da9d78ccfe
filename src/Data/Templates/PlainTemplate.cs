namespace FedLlm.Data.Templates;

/// <summary>
/// For base models without a chat format (e.g. tiny llama2.c models): "{system}\n{user}\n{assistant}{eos}\n{user}\n...",
/// so the only special tokens are the model's own BOS (optional, usually added by the tokenizer) and EOS.
/// </summary>
public sealed class PlainTemplate(string endOfTurn, string? bos = null) : ChatTemplate(TemplateRegistry.Plain, endOfTurn, bos)
{
    protected override string Preamble(string? system) => system is null ? "" : system + "\n";

    protected override string UserTurn(string content, bool isFirst) => content + "\n";

    protected override string AssistantHeader => "";

    protected override string AfterResponse => "\n";
}
