using System.Text;
using FedLlm.Data.Formats;
using FedLlm.Data.Loading;
using FedLlm.Data.Model;
using FedLlm.Foundation.Storage;
using FedLlm.Synthesis.Inputs;
using FedLlm.Synthesis.Output;

namespace FedLlm.Cli.Experiments;

/// <summary>
/// The files an experiment's runs read, derived at run time from the configured sources (never copied into the
/// repository): instruction records as JSON Lines (with their category), raw text as one document per line.
/// </summary>
public static class DerivedData
{
    public static IReadOnlyList<Example> Read(DatasetSource source, string key)
    {
        var options = new DatasetLoadOptions
        {
            Mapping = source.Mapping is null ? null : ColumnMapping.Parse(source.Mapping),
            // Files keyed by item id (PubMedQA): the key is not a client.
            ObjectKeyIsClientId = false,
        };
        var all = DatasetLoader.Load<Example>(source.Path!, options).Examples.Skip(source.Skip);
        var examples = (source.Take is int take ? all.Take(take) : all).ToList();
        if (examples.Count == 0) throw new ArgumentException($"{key}: {source.Path} has no records after skip {source.Skip}");
        return examples;
    }

    /// <summary>Instruction records with responses as {instruction, response, category} lines.</summary>
    public static string WriteInstructions(string path, IEnumerable<Example> examples)
    {
        var rows = examples.OfType<InstructionExample>().Where(e => e.HasResponse)
            .Select(e => new SyntheticExample(e.Conversation.Turns[^2].Content, e.Conversation.FinalResponse!, Origin: null) { Category = e.Metadata.Category });
        SyntheticDatasetWriter.Write(path, rows);
        return path;
    }

    /// <summary>Raw text, one document per line (line breaks inside a document become spaces).</summary>
    public static string WriteText(string path, IEnumerable<Example> examples)
    {
        var text = new StringBuilder();
        foreach (var example in examples)
            text.Append(string.Join(' ', SynthesisInputs.TextOf(example).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))).Append('\n');
        AtomicFile.Write(path, Encoding.UTF8.GetBytes(text.ToString()));
        return path;
    }
}
