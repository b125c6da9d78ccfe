using System.Text;
using System.Text.Json;
using FedLlm.Data.Loading;
using FedLlm.Federation.Configuration;
using FedLlm.Federation.Privacy;
using FedLlm.Federation.Runs;
using FedLlm.Foundation.Storage;
using FedLlm.Generation;
using FedLlm.Synthesis.Inputs;
using FedLlm.Synthesis.KnowledgeSg;
using FedLlm.Cli.Commands.Synthesis;
using FedLlm.Synthesis.Pipelines;

namespace FedLlm.Cli.Experiments;

/// <summary><c>fedllm experiment knowledgesg</c>'s keys: the client's private records, the professional model's public domain data, the public seeds.</summary>
public sealed record KnowledgesgExperimentConfig : ExperimentConfig
{
    /// <summary>The client's private instruction records; run.data.held_out_fraction of them are held out and score every arm.</summary>
    public DatasetSource Private { get; init; } = new();

    /// <summary>Public data of the domain the professional model is tuned on (it stands in for AlpaCare or FinGPT).</summary>
    public DatasetSource Professional { get; init; } = new();

    /// <summary>Public seed examples: their instructions are the DP model's k shots (never private data).</summary>
    public string? Seeds { get; init; }

    /// <summary>Keep only seed instructions of at most this many characters (0: all); k shots must fit a small context.</summary>
    public int SeedsMaxChars { get; init; }

    public KnowledgeSgOptions Knowledgesg { get; init; } = new();

    public override IReadOnlyList<string> Validate()
    {
        var problems = new List<string>(base.Validate());
        problems.AddRange(Private.Validate("private"));
        problems.AddRange(Professional.Validate("professional"));
        if (Seeds is null) problems.Add("seeds is required: public seed examples for the DP model's shots");
        else if (!File.Exists(Seeds)) problems.Add($"seeds '{Seeds}' does not exist");
        if (SeedsMaxChars < 0) problems.Add($"seeds_max_chars must be >= 0, got {SeedsMaxChars}");
        if (!Run.Privacy.IsDpSgd || Run.Privacy.TargetEpsilon is null)
            problems.Add("run.privacy must be mode dp_sgd with a target_epsilon: the client's DP fine-tuning budget for the whole run");
        problems.AddRange(Knowledgesg.ValidateOptions("knowledgesg."));
        return problems;
    }
}

/// <summary>
/// KnowledgeSG end to end with its baselines, every arm scored on the same held-out private records: the client
/// fine-tunes with DP-SGD to the target ε for the whole run (its accountant composes every step of every round) and
/// sends only its adapter; the server generates instructions from the base with that adapter, prompted with public
/// seeds, filters them, has the professional model answer, fine-tunes the base on the result and returns it. Baselines:
/// non-private local fine-tuning, the DP adapter itself, and the same server synthesis from the base model without the
/// DP adapter. The privacy ledger lists what left the client and under which ε.
/// </summary>
public static class KnowledgesgExperiment
{
    public static async Task<(ExperimentTable Table, PrivacyLedger Ledger)> RunAsync(KnowledgesgExperimentConfig config, IRunObserver observer,
        CancellationToken cancellation)
    {
        config.ThrowIfInvalid();
        string folder = Directory.CreateDirectory(config.Folder).FullName;
        var run = config.Run with { OutputDirectory = folder };
        var (train, heldOut) = HeldOutSplit.Split(DerivedData.Read(config.Private, "private"), run.Data.HeldOutFraction, run.Seed);
        string trainFile = DerivedData.WriteInstructions(Path.Combine(folder, "private-train.jsonl"), train);
        string heldOutFile = DerivedData.WriteInstructions(Path.Combine(folder, "private-held-out.jsonl"), heldOut);
        string professionalFile = DerivedData.WriteInstructions(Path.Combine(folder, "professional.jsonl"), DerivedData.Read(config.Professional, "professional"));
        var seeds = SynthesisInputs.LoadPairs(config.Seeds!, "seeds", requireResponse: false).Select(p => p.Instruction)
            .Where(i => config.SeedsMaxChars == 0 || i.Length <= config.SeedsMaxChars).ToList();
        if (seeds.Count <= config.Knowledgesg.Shots) throw new ArgumentException($"seeds: only {seeds.Count} instructions within seeds_max_chars {config.SeedsMaxChars}");

        var professional = await ExperimentArms.RunAsync(Arm("professional", professionalFile) with { Evaluation = run.Evaluation with { BaseModel = true } }, observer, cancellation);
        var nonPrivate = await ExperimentArms.RunAsync(Arm("non-private", trainFile), observer, cancellation);
        var dpConfig = Arm("dp-client", trainFile) with { Privacy = config.Run.Privacy };
        var dp = await ExperimentArms.RunAsync(dpConfig, observer, cancellation);
        var guarantee = PrivacyLedger.GuaranteeOf(dp.Run, dpConfig, clientId: 0);
        observer.Message($"The client's DP adapter: ε = {guarantee.Epsilon:G4} at δ = {guarantee.Delta:G3} over {guarantee.Steps} DP-SGD steps (σ = {guarantee.NoiseMultiplier:G4})");

        await using var backend = await GeneratorBackend.StartAsync(config, new Dictionary<string, string?>
        {
            ["dp"] = dp.Run.FinalAdapterDirectory, ["base"] = null, ["professional"] = professional.Run.FinalAdapterDirectory,
        }, Path.Combine(folder, "cache"));
        observer.Message($"Server synthesis {backend.Description}: {config.Knowledgesg.Prompts} prompts of {config.Knowledgesg.Shots} public shots");
        var (knowledgeSg, knowledgeSgRows) = await SynthesizeAndTuneAsync("knowledgesg", "dp");
        var (fromBase, fromBaseRows) = await SynthesizeAndTuneAsync("base-synthesis", "base");

        var table = new ExperimentTable($"KnowledgeSG: one client, DP-SGD to ε = {config.Run.Privacy.TargetEpsilon} (δ = {config.Run.Privacy.Delta}), scored on its held-out records",
            "held-out loss", "held-out accuracy", "training rows");
        static double?[] Score(EvaluationResult? e, double? rows) => [e?.Test?.Loss, e?.Test?.Accuracy, rows];
        table.Add("base model", Score(professional.Base, null));
        table.Add("professional model (public domain data; reference)", Score(professional.Final, null));
        table.Add("non-private local fine-tuning", Score(nonPrivate.Final, train.Count));
        table.Add($"DP fine-tuning only (ε = {guarantee.Epsilon:G3})", Score(dp.Final, train.Count));
        table.Add("server synthesis from the base model (no DP adapter)", Score(fromBase.Final, fromBaseRows));
        table.Add("KnowledgeSG (DP adapter → instructions → professional answers)", Score(knowledgeSg.Final, knowledgeSgRows));
        table.Note($"{heldOut.Count} held-out private records score every arm; {train.Count} private records train the client arms; seeds: {seeds.Count} public instructions.");
        table.Note($"Runs under {folder}; synthetic datasets synthetic-*.jsonl (tagged origin: knowledgesg) with their .summary.json; generators {backend.Usage}.");

        var ledger = Ledger(guarantee, dp.Run, knowledgeSg.Run);
        AtomicFile.Write(Path.Combine(folder, "privacy-ledger.json"), Encoding.UTF8.GetBytes(ledger.ToJson().ToJsonString(new JsonSerializerOptions { WriteIndented = true })));
        return (table, ledger);

        // Every arm is a one-party run scored on the same held-out private records (its global test set).
        RunConfig Arm(string name, string data) =>
            ExperimentArms.OneParty(run, name, folder, data) with { Data = run.Data with { Path = data, HeldOutFraction = 0, TestFraction = 0, TestPath = heldOutFile } };

        async Task<(RunResult Run, int Rows)> SynthesizeAndTuneAsync(string name, string instructionModel)
        {
            using var instructions = Generators.Create(backend.For(instructionModel), instructionModel + ".");
            using var answers = Generators.Create(backend.For("professional"), "professional.");
            var result = await new KnowledgeSgSynthesizer(instructions, answers, config.Knowledgesg).RunAsync(seeds, run.Seed, cancellation);
            string dataset = Path.Combine(folder, $"synthetic-{name}.jsonl");
            observer.Message($"{name}:");
            SynthesizeCommand.Write(dataset, result);
            return (await ExperimentArms.RunAsync(Arm(name, dataset), observer, cancellation), result.Rows.Count);
        }
    }

    /// <summary>
    /// What left which party: only the DP adapter leaves the client; everything the server derives from it carries the
    /// adapter's ε by post-processing; the seeds are public; the private records never move.
    /// </summary>
    public static PrivacyLedger Ledger(ClientGuarantee g, RunDirectory dpRun, RunDirectory returned)
    {
        string mechanism = $"DP-SGD on the client: clip 1 example's gradient, σ = {g.NoiseMultiplier:G4}, q = {g.SampleRate:G4}, {g.Steps} steps; " +
                           $"its RDP accountant composed over the whole run (never reset per round): {dpRun.ClientStateDirectory}";
        const string derived = "post-processing of the DP adapter (no further access to private records)";
        var ledger = new PrivacyLedger();
        ledger.Add(new LedgerEntry("private records", "client 0", "nobody (stay on the client)", null, null, "used only inside DP-SGD"));
        ledger.Add(new LedgerEntry("DP LoRA adapter", "client 0", "server", g.Epsilon, g.Delta, mechanism));
        ledger.Add(new LedgerEntry("public seed instructions", "public file", "server (DP model's prompts)", 0, null, "public data, no private information"));
        ledger.Add(new LedgerEntry("generated instructions", "server (base + DP adapter)", "professional model", g.Epsilon, g.Delta, derived));
        ledger.Add(new LedgerEntry("synthetic dataset (instructions + professional answers)", "server", "server (fine-tuning)", g.Epsilon, g.Delta, derived));
        ledger.Add(new LedgerEntry("fine-tuned adapter", "server", $"client 0 ({returned.FinalAdapterDirectory})", g.Epsilon, g.Delta, derived));
        return ledger;
    }
}
