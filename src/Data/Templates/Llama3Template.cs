namespace FedLlm.Data.Templates;

/// <summary>
/// Meta Llama 3 Instruct (Hugging Face chat template): "&lt;|start_header_id|&gt;{role}&lt;|end_header_id|&gt;\n\n{content}&lt;|eot_id|&gt;"
/// per message, generation prompt "&lt;|start_header_id|&gt;assistant&lt;|end_header_id|&gt;\n\n". Differences from the HF
/// template: BOS ("&lt;|begin_of_text|&gt;") is left to the tokenizer unless passed, and contents are not trimmed.
/// </summary>
public sealed class Llama3Template(string endOfTurn = Llama3Template.EotId, string? bos = null) : ChatTemplate(TemplateRegistry.Llama3, endOfTurn, bos)
{
    public const string EotId = "<|eot_id|>";

    private static string Header(string role) => "<|start_header_id|>" + role + "<|end_header_id|>\n\n";

    protected override string Preamble(string? system) => system is null ? "" : Header("system") + system + EotId;

    protected override string UserTurn(string content, bool isFirst) => Header("user") + content + EotId;

    protected override string AssistantHeader => Header("assistant");
}
