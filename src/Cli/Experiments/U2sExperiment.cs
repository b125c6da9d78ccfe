using FedLlm.Federation.Configuration;
using FedLlm.Federation.Runs;
using FedLlm.Synthesis.Inputs;
using FedLlm.Synthesis.Output;
using FedLlm.Synthesis.Parsing;
using FedLlm.Synthesis.Pipelines;
using FedLlm.Synthesis.Prompts;
using FedLlm.Synthesis.Retrieval;

namespace FedLlm.Cli.Experiments;

/// <summary><c>fedllm experiment u2s</c>'s keys: the clients' raw text, a test set of the domain, the public pool, FedIT-U2S's settings.</summary>
public sealed record U2sExperimentConfig : ExperimentConfig
{
    /// <summary>Raw text split among the clients (e.g. PubMedQA's CONTEXTS with mapping text=CONTEXTS).</summary>
    public DatasetSource Corpus { get; init; } = new();

    /// <summary>Instruction data of the same domain that no client holds, scored as the global test set.</summary>
    public DatasetSource Test { get; init; } = new();

    /// <summary>The public example pool (e.g. Alpaca).</summary>
    public string? Pool { get; init; }

    /// <summary>Keep only pool examples whose instruction and response together are at most this many characters (0: all); a small context needs short examples.</summary>
    public int PoolMaxChars { get; init; }

    /// <summary>FedIT-U2S's settings (the pool and generator are the experiment's).</summary>
    public U2sSection U2s { get; init; } = new();

    public override IReadOnlyList<string> Validate()
    {
        var problems = new List<string>(base.Validate());
        problems.AddRange(Corpus.Validate("corpus"));
        problems.AddRange(Test.Validate("test"));
        if (Pool is null) problems.Add("pool is required: the public instruction/response examples");
        else if (!File.Exists(Pool)) problems.Add($"pool '{Pool}' does not exist");
        if (PoolMaxChars < 0) problems.Add($"pool_max_chars must be >= 0, got {PoolMaxChars}");
        problems.AddRange(U2s.ValidateOptions("u2s."));
        return problems;
    }
}

/// <summary>
/// FedIT-U2S against its natural alternatives on the same clients, rounds and test set: the base model; federated
/// training on the raw text itself (continued pre-training, every token a target); and federated instruction tuning on
/// the pairs each client wrote from its text with U2S (FedAvg + LoRA, as the paper).
/// </summary>
public static class U2sExperiment
{
    public static async Task<ExperimentTable> RunAsync(U2sExperimentConfig config, IRunObserver observer, CancellationToken cancellation)
    {
        config.ThrowIfInvalid();
        string folder = Directory.CreateDirectory(config.Folder).FullName;
        string corpus = DerivedData.WriteText(Path.Combine(folder, "corpus.txt"), DerivedData.Read(config.Corpus, "corpus"));
        string test = DerivedData.WriteInstructions(Path.Combine(folder, "test.jsonl"), DerivedData.Read(config.Test, "test"));
        var pool = SynthesisInputs.LoadPairs(config.Pool!, "pool")
            .Where(p => config.PoolMaxChars == 0 || p.Instruction.Length + p.Response.Length <= config.PoolMaxChars).ToList();
        if (pool.Count < config.U2s.K + 1) throw new ArgumentException($"pool: only {pool.Count} examples within pool_max_chars {config.PoolMaxChars}");
        string poolFile = Path.Combine(folder, "pool.jsonl");
        SyntheticDatasetWriter.Write(poolFile, pool.Select(p => new SyntheticExample(p.Instruction, p.Response, Origin: null)));

        await using var backend = await FormatTutor.StartGeneratorAsync(config, () => Lessons(config.U2s, pool), observer, cancellation);

        // The format stays auto: corpus.txt reads as text records, test.jsonl as instructions (a "text" format would
        // drop every test record as a bad row and leave the test columns empty).
        var run = config.Run with { OutputDirectory = folder, Data = config.Run.Data with { Path = corpus, TestPath = test } };
        var raw = await ExperimentArms.RunAsync(run with { Name = "raw-text", Evaluation = run.Evaluation with { BaseModel = true } }, observer, cancellation);
        var u2sRun = run with { Name = "u2s", U2s = config.U2s with { Enabled = true, Pool = poolFile, Generator = backend.For(FormatTutor.GeneratorRole) } };
        var u2s = await ExperimentArms.RunAsync(u2sRun, observer, cancellation);

        var table = new ExperimentTable($"FedIT-U2S: {run.Split.Clients} clients' raw text, {run.Rounds} rounds of {run.Strategy.Algorithm}",
            [.. ExperimentArms.ScoreColumns, "generated pairs"]);
        table.Add("base model", [.. ExperimentArms.Scores(raw.Base), null]);
        table.Add("raw text (continued pre-training)", [.. ExperimentArms.Scores(raw.Final), null]);
        table.Add("FedIT-U2S pairs", [.. ExperimentArms.Scores(u2s.Final), ExperimentArms.GeneratedRows(u2s.Run)]);
        table.Note("Test = instruction data of the domain held by no client; held-out = each client's own raw text (the same records in every arm).");
        table.Note($"Runs: {raw.Run.Path}, {u2s.Run.Path}; generated pairs (tagged origin: u2s, with their source chunk) in {u2s.Run.File("synthetic")}; generator {backend.Usage}.");
        return table;
    }

    /// <summary>
    /// Public pool examples as U2S prompts whose passage is the example's own response, shown with its most related
    /// other examples, answered by the example in the example layout: the reply format, learned from public data only.
    /// </summary>
    public static List<(string Prompt, string Answer)> Lessons(U2sSection u2s, IReadOnlyList<InstructionPair> pool)
    {
        var prompt = PromptTemplate.Load(u2s.Prompt);
        var example = PromptTemplate.Load(u2s.ExamplePrompt);
        var retriever = new Bm25Retriever([.. pool.Select(p => p.Instruction + "\n" + p.Response)]);
        var lessons = new List<(string, string)>();
        for (int i = 0; i < pool.Count; i++)
        {
            var related = retriever.Score(pool[i].Response).Where(r => r.Index != i).OrderByDescending(r => r.Score).ThenBy(r => r.Index)
                .Take(u2s.K).Select(r => (pool[r.Index].Instruction, pool[r.Index].Response));
            string text = prompt.Render(new Dictionary<string, string> { ["examples"] = Templates.Examples(example, related), ["chunk"] = pool[i].Response });
            lessons.Add((text, example.Render(new Dictionary<string, string> { ["instruction"] = pool[i].Instruction, ["response"] = pool[i].Response })));
        }
        return lessons;
    }
}
