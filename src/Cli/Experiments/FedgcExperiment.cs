using FedLlm.Data.Model;
using FedLlm.Federation.Configuration;
using FedLlm.Federation.Runs;
using FedLlm.Foundation.Randomness;
using FedLlm.Synthesis.FedGc;
using FedLlm.Synthesis.Inputs;
using FedLlm.Synthesis.Pipelines;
using FedLlm.Synthesis.Prompts;

namespace FedLlm.Cli.Experiments;

/// <summary><c>fedllm experiment fedgc</c>'s keys: the private labelled records, public labelled examples for the tutor, the FedGC recipe.</summary>
public sealed record FedgcExperimentConfig : ExperimentConfig
{
    /// <summary>The federation's records, with a category (label) to skew the split by.</summary>
    public DatasetSource Data { get; init; } = new();

    /// <summary>Public labelled examples the format tutor learns from (what the generator knows; never the clients' records).</summary>
    public DatasetSource Public { get; init; } = new();

    /// <summary>The recipe compared with no augmentation (the generator is the experiment's, tutored if asked).</summary>
    public FedgcSection Fedgc { get; init; } = new();

    public override IReadOnlyList<string> Validate()
    {
        var problems = new List<string>(base.Validate());
        problems.AddRange(Data.Validate("data"));
        if (Tutor.Enabled) problems.AddRange(Public.Validate("public"));
        problems.AddRange(Fedgc.ValidateOptions("fedgc."));
        return problems;
    }
}

/// <summary>
/// FedGC on a Dirichlet-skewed split: the same run (seed, clients, held-out and test data) without augmentation and with
/// FedGC's default recipe (equal budget per client, several templates, prompt + real-example guidance), plus the base
/// model. Generated rows join the clients' training data only; every score is on real records.
/// </summary>
public static class FedgcExperiment
{
    public static async Task<ExperimentTable> RunAsync(FedgcExperimentConfig config, IRunObserver observer, CancellationToken cancellation)
    {
        config.ThrowIfInvalid();
        string folder = Directory.CreateDirectory(config.Folder).FullName;
        string records = DerivedData.WriteInstructions(Path.Combine(folder, "records.jsonl"), DerivedData.Read(config.Data, "data"));
        var run = config.Run with { OutputDirectory = folder, Data = config.Run.Data with { Path = records } };

        await using var backend = await FormatTutor.StartGeneratorAsync(config, () => Lessons(config), observer, cancellation);

        var plain = await ExperimentArms.RunAsync(run with { Name = "no-augmentation", Evaluation = run.Evaluation with { BaseModel = true } }, observer, cancellation);
        var fedgcRun = run with { Name = "fedgc", Fedgc = config.Fedgc with { Enabled = true, Generator = backend.For(FormatTutor.GeneratorRole) } };
        var augmented = await ExperimentArms.RunAsync(fedgcRun, observer, cancellation);

        var table = new ExperimentTable($"FedGC on a Dirichlet-skewed split (α = {run.Split.Alpha}, {run.Split.Clients} clients, {run.Strategy.Algorithm})",
            [.. ExperimentArms.ScoreColumns, "generated rows"]);
        table.Add("base model", [.. ExperimentArms.Scores(plain.Base), null]);
        table.Add("no augmentation", [.. ExperimentArms.Scores(plain.Final), 0]);
        table.Add($"FedGC ({Recipe(config.Fedgc)})", [.. ExperimentArms.Scores(augmented.Final), ExperimentArms.GeneratedRows(augmented.Run)]);
        table.Note("Scores are on real records only: each client's held-out slice and the global test slice; generated rows are tagged origin: fedgc in synthetic/client-*.jsonl.");
        table.Note($"Runs: {plain.Run.Path}, {augmented.Run.Path}; generator {backend.Usage}.");
        return table;
    }

    private static string Recipe(FedgcSection fedgc) =>
        $"{(fedgc.MixRatio is double r ? $"{r} per real row" : $"{fedgc.Budget} per client")}, {fedgc.Allocation}, {fedgc.PromptDesign} prompts, {fedgc.Guidance} guidance";

    /// <summary>
    /// Public examples as FedGC prompts for their own category, with k other public examples of it as guidance on every
    /// other lesson (prompt-only on the rest, as for a category a client lacks), answered in the example layout.
    /// </summary>
    private static List<(string Prompt, string Answer)> Lessons(FedgcExperimentConfig config)
    {
        var fedgc = config.Fedgc;
        var example = PromptTemplate.Load(fedgc.ExamplePrompt);
        var pairs = DerivedData.Read(config.Public, "public").OfType<InstructionExample>().Where(e => e.HasResponse)
            .Select(e => new LabelledPair(new(e.Conversation.Turns[^2].Content, e.Conversation.FinalResponse!), e.Metadata.Category ?? FedGcAugmenter.Uncategorised))
            .ToList();
        var byCategory = pairs.GroupBy(p => p.Category).ToDictionary(g => g.Key, g => g.ToList());
        var templates = fedgc.TemplateNames.Select(PromptTemplate.Load).ToList();
        var lessons = new List<(string, string)>();
        for (int i = 0; i < pairs.Count; i++)
        {
            var others = byCategory[pairs[i].Category].Where(p => p != pairs[i]).ToArray();
            Xoshiro256StarStar.ForPurpose(config.Run.Seed, "fedgc-tutor", i).Shuffle(others.AsSpan());
            string examples = i % 2 == 0 ? Templates.Examples(example, others.Take(fedgc.K).Select(p => (p.Pair.Instruction, p.Pair.Response))) : "";
            string prompt = templates[i % templates.Count].Render(new Dictionary<string, string> { ["category"] = pairs[i].Category, ["examples"] = examples });
            lessons.Add((prompt, example.Render(new Dictionary<string, string> { ["instruction"] = pairs[i].Pair.Instruction, ["response"] = pairs[i].Pair.Response })));
        }
        return lessons;
    }
}
