using FedLlm.Data;
using FedLlm.Data.Formats;
using FedLlm.Data.Loading;
using FedLlm.Data.Model;
using FedLlm.Synthesis.Parsing;
using FedLlm.Synthesis.Pipelines;

namespace FedLlm.Synthesis.Inputs;

/// <summary>
/// Reads what the pipelines start from with FedLlm's dataset readers, failing with one line that names the file:
/// a pool or seed set of instruction/response records, and a corpus of raw text.
/// </summary>
public static class SynthesisInputs
{
    /// <summary>
    /// Instruction/response pairs (any layout the readers detect: Alpaca, instruction/response, conversations, GSM8K …)
    /// for FedIT-U2S's example pool or KnowledgeSG's public seeds. <paramref name="requireResponse"/> false also takes
    /// prompt-only records (KnowledgeSG shows only seed instructions).
    /// </summary>
    public static IReadOnlyList<InstructionPair> LoadPairs(string path, string what, bool requireResponse = true)
    {
        var examples = Read(path, what, new DatasetLoadOptions());
        var pairs = new List<InstructionPair>(examples.Count);
        foreach (var example in examples)
        {
            if (example is not InstructionExample { Conversation: var conversation }) continue;
            string instruction = conversation.Turns[^(conversation.EndsWithAssistant ? 2 : 1)].Content;
            string? response = conversation.FinalResponse;
            if (string.IsNullOrWhiteSpace(instruction) || (requireResponse && string.IsNullOrWhiteSpace(response))) continue;
            pairs.Add(new InstructionPair(instruction.Trim(), response?.Trim() ?? ""));
        }
        if (pairs.Count == 0)
        {
            string kind = examples.Count > 0 ? KindOf(examples[0]) : "no";
            throw new SynthesisException($"{path} ({what}): no instruction/response records (found {examples.Count} {kind} records); " +
                                         "give a file with instruction and response (or output) fields, such as Alpaca JSON");
        }
        return pairs;
    }

    /// <summary>
    /// Raw text, one piece per record: a text file (one document per line), JSONL with a <c>text</c> field, or any file
    /// with <paramref name="textField"/> naming the column that holds the text (a list of strings is joined with line
    /// breaks, e.g. PubMedQA's <c>CONTEXTS</c>). Instruction records are taken as their turns' text.
    /// </summary>
    public static IReadOnlyList<SourceText> LoadCorpus(string path, string? textField = null)
    {
        var options = new DatasetLoadOptions
        {
            Mapping = textField is null ? null : new ColumnMapping { Text = textField },
            // Files that are one object keyed by item id (PubMedQA): the key is not a client.
            ObjectKeyIsClientId = false,
        };
        var texts = Read(path, "corpus", options)
            .Select(e => new SourceText(TextOf(e), e.Metadata.Source ?? path))
            .Where(t => !string.IsNullOrWhiteSpace(t.Text))
            .ToList();
        if (texts.Count == 0) throw new SynthesisException($"{path} (corpus): the corpus is empty: no text to write instructions from");
        return texts;
    }

    /// <summary>The raw text of a record: a text example's text, or an instruction example's turns one after another.</summary>
    public static string TextOf(Example example) => example switch
    {
        TextExample text => text.Text,
        InstructionExample instruction => string.Join("\n", instruction.Conversation.Turns.Select(t => t.Content)),
        PreferenceExample preference => string.Join("\n", preference.Prompt.Turns.Select(t => t.Content).Append(preference.Chosen)),
        _ => "",
    };

    private static List<Example> Read(string path, string what, DatasetLoadOptions options)
    {
        if (!File.Exists(path)) throw new SynthesisException($"{path} ({what}): file does not exist");
        if (new FileInfo(path).Length == 0) throw new SynthesisException($"{path} ({what}): the file is empty");
        try
        {
            return DatasetLoader.Load<Example>(path, options).Examples.ToList();
        }
        catch (DataFormatException e)
        {
            throw new SynthesisException($"{path} ({what}): {e.Message}", e);
        }
    }

    private static string KindOf(Example example) => example switch
    {
        TextExample => "plain-text",
        PreferenceExample => "preference",
        InstructionExample => "prompt-only",
        _ => example.GetType().Name,
    };
}
