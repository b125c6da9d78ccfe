namespace FedLlm.Data.Templates;

/// <summary>
/// The Alpaca layout as OpenFedLLM's utils/template.py writes it for SFT:
/// "{preamble}\n\n### Instruction:\n{instruction} \n\n### Response: {response}{eos}" — note the space after the
/// instruction and after "### Response:", kept so prompts match models trained there. Later turns of a multi-turn
/// conversation (not in OpenFedLLM) repeat the Instruction/Response sections after a blank line.
/// A system prompt replaces the preamble sentence.
/// </summary>
public sealed class AlpacaTemplate(string endOfTurn = "</s>", string? bos = null) : ChatTemplate(TemplateRegistry.Alpaca, endOfTurn, bos)
{
    public const string DefaultPreamble =
        "Below is an instruction that describes a task. Write a response that appropriately completes the request.";

    protected override string Preamble(string? system) => (system ?? DefaultPreamble) + "\n\n";

    protected override string UserTurn(string content, bool isFirst) => (isFirst ? "" : "\n\n") + "### Instruction:\n" + content + " \n\n";

    protected override string AssistantHeader => "### Response: ";
}
