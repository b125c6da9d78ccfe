using System.CommandLine;
using System.Text;
using System.Text.Json;
using FedLlm.Cli.Configuration;
using FedLlm.Cli.Output;
using FedLlm.Foundation.Storage;
using FedLlm.Generation;
using FedLlm.Synthesis.Inputs;
using FedLlm.Synthesis.KnowledgeSg;
using FedLlm.Synthesis.Output;
using FedLlm.Synthesis.Pipelines;
using FedLlm.Synthesis.Retrieval;
using FedLlm.Synthesis.U2s;

namespace FedLlm.Cli.Commands.Synthesis;

/// <summary>
/// <c>fedllm synthesize u2s|knowledgesg</c>: a pipeline's generation on its own, writing a dataset any FedLlm command
/// reads (JSON Lines of instruction/response with origin and source tags) and a <c>.summary.json</c> beside it. Outputs
/// are written to a temporary file and renamed, so a failure leaves no half-written dataset.
/// </summary>
public static class SynthesizeCommand
{
    public static Command Build()
    {
        var command = new Command("synthesize", "Write instruction data with a generator: FedIT-U2S from raw text, KnowledgeSG's server stage from a DP model");
        command.Add(U2s());
        command.Add(KnowledgeSg());
        return command;
    }

    private static Command U2s()
    {
        var command = new Command("u2s", "FedIT-U2S: one instruction/response pair per chunk of raw text, shown with the k most related pool examples (docs/synthesis.md)");
        var corpus = new Option<FileInfo>("--corpus") { Description = "Raw text: a .txt file (one document per line), JSONL with a text field, or any dataset file with --text-field", Required = true };
        var textField = new Option<string?>("--text-field") { Description = "The field holding the text (a list of strings is joined), e.g. CONTEXTS for PubMedQA" };
        var pool = new Option<FileInfo>("--pool") { Description = "Example pool of instruction/response records (e.g. Alpaca JSON)", Required = true };
        var output = new Option<FileInfo>("--out", "-o") { Description = "The dataset to write (JSON Lines)", Required = true };
        var config = new Option<FileInfo?>("--config", "-c") { Description = "YAML with u2s keys (k, chunk_tokens, sampling, …), seed and generator" };
        foreach (var option in new Option[] { corpus, textField, pool, output, config }) command.Add(option);
        var set = ConfigFlags.Enable(command);
        command.SetAction(async (parse, cancellation) =>
        {
            var settings = ConfigLoader.Load<SynthesizeU2sConfig>(parse.GetValue(config)?.FullName, ConfigFlags.Collect(parse, set));
            ThrowIfInvalid([.. settings.ValidateOptions(""), .. settings.Generator.Validate()]);
            var texts = SynthesisInputs.LoadCorpus(parse.GetRequiredValue(corpus).FullName, parse.GetValue(textField));
            var examples = SynthesisInputs.LoadPairs(parse.GetRequiredValue(pool).FullName, "pool");
            using var generator = Generators.Create(settings.Generator);
            var embedder = Generators.Embedder(generator) is { } model ? new EmbeddingGeneratorEmbedder(model) : null;
            var synthesizer = new U2sSynthesizer(generator, settings, Generators.TokenCounter(generator, settings.Generator) ?? U2sSynthesizer.CountWords, embedder);
            ConsoleOutput.Info($"u2s: {texts.Count} documents, a pool of {examples.Count} examples, generator {Describe(settings.Generator)}");
            var result = await synthesizer.RunAsync(texts, examples, settings.Seed, cancellation: cancellation);
            Write(parse.GetRequiredValue(output).FullName, result);
            return 0;
        });
        return command;
    }

    private static Command KnowledgeSg()
    {
        var command = new Command("knowledgesg",
            "KnowledgeSG's server stage: instructions from the DP model with k-shot PUBLIC seeds, filtered, optionally graded, answered by the professional model");
        var seeds = new Option<FileInfo>("--seeds") { Description = "Public seed examples (their instructions are the shots), e.g. Alpaca JSON; never private data", Required = true };
        var output = new Option<FileInfo>("--out", "-o") { Description = "The dataset to write (JSON Lines)", Required = true };
        var config = new Option<FileInfo?>("--config", "-c") { Description = "YAML with knowledgesg keys (prompts, shots, grade, …), seed, generator (the DP model) and professional" };
        foreach (var option in new Option[] { seeds, output, config }) command.Add(option);
        var set = ConfigFlags.Enable(command);
        command.SetAction(async (parse, cancellation) =>
        {
            var settings = ConfigLoader.Load<SynthesizeKnowledgesgConfig>(parse.GetValue(config)?.FullName, ConfigFlags.Collect(parse, set));
            ThrowIfInvalid([.. settings.ValidateOptions(""), .. settings.Generator.Validate(), .. settings.Professional.Validate("professional.")]);
            var shots = SynthesisInputs.LoadPairs(parse.GetRequiredValue(seeds).FullName, "seeds", requireResponse: false).Select(p => p.Instruction).ToList();
            using var dpModel = Generators.Create(settings.Generator);
            using var professional = Generators.Create(settings.Professional, "professional.");
            ConsoleOutput.Info($"knowledgesg: {settings.Prompts} prompts of {settings.Shots} public shots from {shots.Count} seeds; DP model {Describe(settings.Generator)}, professional {Describe(settings.Professional)}");
            var result = await new KnowledgeSgSynthesizer(dpModel, professional, settings).RunAsync(shots, settings.Seed, cancellation);
            Write(parse.GetRequiredValue(output).FullName, result);
            return 0;
        });
        return command;
    }

    /// <summary>The dataset, then its summary; both atomically.</summary>
    internal static void Write(string path, SynthesisResult result)
    {
        if (Path.GetDirectoryName(path) is { Length: > 0 } folder) Directory.CreateDirectory(folder);
        int rows = SyntheticDatasetWriter.Write(path, result.Rows);
        string summary = SummaryPath(path);
        AtomicFile.Write(summary, Encoding.UTF8.GetBytes(result.Tally.ToJson().ToJsonString(new JsonSerializerOptions { WriteIndented = true })));
        ConsoleOutput.Info(result.Tally.ToString());
        ConsoleOutput.Info($"Wrote {rows} rows to {path} (summary: {summary})");
    }

    internal static string SummaryPath(string dataset) => Path.ChangeExtension(dataset, null) + ".summary.json";

    internal static string Describe(GeneratorSection generator) => generator.IsEndpoint
        ? $"{generator.Model} at {generator.Endpoint}"
        : generator.ModelPath + (generator.AdapterPath is null ? "" : " + " + generator.AdapterPath);

    private static void ThrowIfInvalid(IReadOnlyList<string> problems)
    {
        if (problems.Count > 0) throw new ArgumentException("invalid config: " + string.Join("; ", problems));
    }
}
