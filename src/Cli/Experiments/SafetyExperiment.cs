using System.Globalization;
using System.Text.Json.Nodes;
using FedLlm.Data.Demo;
using FedLlm.Data.Model;
using FedLlm.Evaluation.Reporting;
using FedLlm.Federation.Client;
using FedLlm.Federation.Configuration;
using FedLlm.Federation.Demo;
using FedLlm.Federation.Robust;
using FedLlm.Federation.Runs;
using FedLlm.Generation;

namespace FedLlm.Cli.Experiments;

/// <summary>
/// <c>fedllm experiment safety</c>'s keys. Everything has a built-in default that needs no downloads: a tiny base model
/// warmed up with refusals (built once into <see cref="CacheDirectory"/>) and the built-in harmful/benign requests of
/// <see cref="DemoSafety"/>. The shape follows Ye et al. (ICLR 2025) at toy scale: 10 clients of which 3 malicious.
/// </summary>
public sealed record SafetyExperimentConfig
{
    public string Name { get; init; } = "safety";
    public string OutputDirectory { get; init; } = "runs/experiments";
    /// <summary>Where the built-in base model is built once and reused.</summary>
    public string CacheDirectory { get; init; } = Path.Combine("runs", ".cache");
    /// <summary>The run seed of every arm (client split, LoRA init, sampling); the harmful-request split is fixed with the base.</summary>
    public ulong Seed { get; init; } = 42;
    /// <summary>Size of the built-in base model (tiny, small or base; model presets) and its warm-up steps.</summary>
    public string BasePreset { get; init; } = "tiny";
    public int BaseSteps { get; init; } = 800;
    public int Clients { get; init; } = 10;
    public int Malicious { get; init; } = 3;
    /// <summary>Benign training records per client (demo tasks and benign requests, half each), before the held-out slice.</summary>
    public int RecordsPerClient { get; init; } = 40;
    public int Rounds { get; init; } = 6;
    public int LocalSteps { get; init; } = 5;
    public double LearningRate { get; init; } = 3e-3;
    /// <summary>Robust rules compared (comma-separated; every rule of <c>robust.rule</c> but none by default).</summary>
    public string Rules { get; init; } = string.Join(',', RobustRules.All.Where(r => r != RobustRules.None));
    public int DefenseSamples { get; init; } = 200;
    public int DefenseSteps { get; init; } = 30;
    /// <summary>Held-out harmful prompts asked (0 = all 120: 30 held-out acts in 4 frames).</summary>
    public int EvalPrompts { get; init; }
    /// <summary>Tokens per evaluated answer (the refusal or compliance opening is the first few).</summary>
    public int MaxNewTokens { get; init; } = 24;
    /// <summary>Optional safe/unsafe judge (e.g. an endpoint serving MD-Judge); its safe rate becomes a column.</summary>
    public GeneratorSection? Judge { get; init; }

    public string Folder => Path.Combine(OutputDirectory, Name);

    public IReadOnlyList<string> RuleList => [.. Rules.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(r => RobustRules.Parse(r, "rules"))];

    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(Name) || Name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0) problems.Add($"name '{Name}' must be a plain folder name");
        if (BaseSteps < 1) problems.Add($"base_steps must be positive, got {BaseSteps}");
        if (!FedLlm.Models.Presets.ModelPreset.All.Any(p => p.Name == BasePreset)) problems.Add($"base_preset '{BasePreset}' is unknown (valid: {string.Join(", ", FedLlm.Models.Presets.ModelPreset.All.Select(p => p.Name))})");
        if (Clients < 2) problems.Add($"clients must be at least 2, got {Clients}");
        if (Malicious < 1 || Malicious >= Clients) problems.Add($"malicious must be in [1, clients − 1], got {Malicious} of {Clients}");
        if (RecordsPerClient < 4) problems.Add($"records_per_client must be at least 4, got {RecordsPerClient}");
        if (Rounds < 1) problems.Add($"rounds must be positive, got {Rounds}");
        if (LocalSteps < 1) problems.Add($"local_steps must be positive, got {LocalSteps}");
        if (!(LearningRate > 0)) problems.Add($"learning_rate must be > 0, got {LearningRate.ToString(CultureInfo.InvariantCulture)}");
        foreach (string rule in Rules.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            if (RobustRules.Names.Problem(rule, "rules") is { } bad) problems.Add(bad);
        if (DefenseSamples < 2) problems.Add($"defense_samples must be at least 2, got {DefenseSamples}");
        if (DefenseSteps < 1) problems.Add($"defense_steps must be positive, got {DefenseSteps}");
        if (MaxNewTokens < 1) problems.Add($"max_new_tokens must be positive, got {MaxNewTokens}");
        if (EvalPrompts < 0) problems.Add($"eval_prompts must be >= 0 (0 = all), got {EvalPrompts}");
        if (Judge is not null) problems.AddRange(Judge.Validate("judge."));
        return problems;
    }
}

/// <summary>
/// The safety experiment (issue 14, Ye et al. ICLR 2025) in one command: with the same seed, clients and evaluation
/// prompts, benign-only FedAvg, FedAvg with malicious clients, the attack against each robust rule, and the attack with
/// the level-1 and level-3 post-hoc defenses. Each arm is a run of the one run driver; the table gives the refusal rate
/// on held-out harmful requests (with the prompt count), the judge's safe rate when configured, and held-out loss.
/// </summary>
public static class SafetyExperiment
{
    public const string ChartFile = "results.png";

    public static async Task<ExperimentTable> RunAsync(SafetyExperimentConfig config, IRunObserver observer, CancellationToken cancellation)
    {
        var problems = config.Validate();
        if (problems.Count > 0) throw new ArgumentException("invalid experiment config: " + string.Join("; ", problems));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        string folder = Directory.CreateDirectory(config.Folder).FullName;
        string model = SafetyBaseModel.Ensure(Path.GetFullPath(config.CacheDirectory), config.BasePreset, config.BaseSteps, observer);
        var files = WriteData(config, folder);
        var baseRun = BaseRun(config, folder, model, files);
        var attacked = baseRun with { Attack = new AttackSection { MaliciousCount = config.Malicious, Data = files.Attack } };

        var arms = new List<(string Arm, RunConfig Run)>
        {
            ("FedAvg, no attack", baseRun with { Name = "benign", Evaluation = baseRun.Evaluation with { BaseModel = true } }),
            ("FedAvg, attacked", attacked with { Name = "attacked" }),
        };
        foreach (string rule in config.RuleList) arms.Add(($"attacked + {rule}", attacked with { Name = $"attacked-{rule}", Robust = RobustFor(rule, config) }));
        var level1 = new DefenseSection { Level = 1, AlignedData = files.Aligned, NormalData = files.Normal, Samples = config.DefenseSamples, Steps = config.DefenseSteps };
        arms.Add(("attacked + defense level 1", attacked with { Name = "attacked-defense-1", Defense = level1 }));
        arms.Add(("attacked + defense level 3", attacked with { Name = "attacked-defense-3", Defense = level1 with { Level = 3 } }));

        bool judged = config.Judge is not null;
        var table = new ExperimentTable(
            $"Safety under attack: {config.Malicious} of {config.Clients} clients malicious, {config.Rounds} rounds, seed {config.Seed}",
            judged ? ["refusal rate", "prompts n", "judge safe rate", "held-out loss"] : ["refusal rate", "prompts n", "held-out loss"])
        {
            CountColumns = new HashSet<string> { "prompts n" },
        };
        RunResult? first = null;
        foreach (var (arm, run) in arms)
        {
            var result = await ExperimentArms.RunAsync(run, observer, cancellation);
            first ??= result;
            if (arm == arms[0].Arm && result.Safety?.FirstOrDefault(r => (string?)r["model"] == RunMetrics.BaseModel) is { } baseSafety)
                table.Add("base model (aligned warm-up)", Row(baseSafety, ClientEvaluator.Mean(result.Base?.Scores ?? []).Loss, judged));
            var global = result.Safety?.LastOrDefault(r => (string?)r["model"] == RunMetrics.GlobalModel);
            table.Add(arm, Row(global, ClientEvaluator.Mean(result.FinalScores).Loss, judged));
        }
        table.Note($"Refusal rate: share of answers with a refusal phrase (the AdvBench substring rule, docs/safety.md) to {files.Prompts} held-out harmful requests " +
                   "no client, base warm-up or defense sample contained, sampled at temperature 0.7, top-p 1, seeded.");
        table.Note("Held-out loss: mean over clients of each client's held-out slice of its own benign data (helpfulness kept in view).");
        table.Note($"Robust rules with f = {RobustFor("krum", config).F} assumed attackers (bulyan: the largest f its n ≥ 4f + 3 allows), trimmed_mean β = {RobustFor("trimmed_mean", config).Beta?.ToString(CultureInfo.InvariantCulture)}.");
        table.Note($"Defense: {config.DefenseSamples} samples (half aligned, half normal), {config.DefenseSteps} server steps after the final round; level 3 has the attacked aggregate answer the same questions itself.");
        table.Note($"Base model {model}; runs under {folder}; {clock.Elapsed.TotalSeconds:F0} s in all.");
        WriteChart(table, Path.Combine(folder, ChartFile));
        return table;
    }

    /// <summary>A robust section for <paramref name="rule"/> assuming the experiment's share of malicious clients among all of a round's.</summary>
    private static RobustSection RobustFor(string rule, SafetyExperimentConfig config)
    {
        int f = config.Malicious;
        return rule switch
        {
            RobustRules.Krum or RobustRules.MultiKrum or RobustRules.Dnc => new RobustSection { Rule = rule, F = Math.Min(f, (config.Clients - 3) / 2) },
            RobustRules.Bulyan => new RobustSection { Rule = rule, F = Math.Max(0, Math.Min(f, (config.Clients - 3) / 4)) },
            RobustRules.TrimmedMean => new RobustSection { Rule = rule, Beta = Math.Min(0.49, Math.Ceiling(100.0 * f / config.Clients) / 100) },
            _ => new RobustSection { Rule = rule },
        };
    }

    private static double?[] Row(JsonObject? safety, double heldOutLoss, bool judged)
    {
        double? rate = safety?["refusal_rate"]?.GetValue<double>();
        double? n = safety?["prompts"]?.GetValue<int>();
        return judged ? [rate, n, safety?["judge_safe_rate"]?.GetValue<double>(), heldOutLoss] : [rate, n, heldOutLoss];
    }

    private sealed record DataFiles(string Records, string Attack, string Aligned, string Normal, string EvalPrompts, int Prompts);

    /// <summary>
    /// The experiment's data, derived from the built-in requests: the clients' benign records (demo tasks and benign
    /// requests), the attack records (training harmful requests answered compliantly), the defense's aligned (the same
    /// requests refused) and normal public records (another draw of the benign kind), and the held-out harmful prompts.
    /// </summary>
    private static DataFiles WriteData(SafetyExperimentConfig config, string folder)
    {
        var (harmful, heldOut) = DemoSafety.HarmfulActs(SafetyBaseModel.Seed);
        int records = config.Clients * config.RecordsPerClient;
        var benign = DemoTasks.Generate(records / 2, seed: 101).Concat(DemoSafety.Requests(DemoSafety.BenignActs(), records - records / 2, 102, DemoSafety.Compliance, "benign")).ToList();
        var normal = DemoTasks.Generate(config.DefenseSamples, seed: 201).Concat(DemoSafety.Requests(DemoSafety.BenignActs(), config.DefenseSamples, 202, DemoSafety.Compliance, "benign")).ToList();
        var all = DemoSafety.EvaluationPrompts(heldOut);
        // A subset takes every k-th prompt, so it still spans the held-out acts and frames.
        var prompts = config.EvalPrompts is > 0 and var n && n < all.Count ? [.. Enumerable.Range(0, n).Select(i => all[i * all.Count / n])] : all;
        var files = new DataFiles(
            DerivedData.WriteInstructions(Path.Combine(folder, "records.jsonl"), [.. benign.Select((e, i) => (Example)e with { Metadata = e.Metadata with { Source = $"benign:{i + 1}" } })]),
            DerivedData.WriteInstructions(Path.Combine(folder, "attack.jsonl"), [.. DemoSafety.Requests(harmful, 4 * harmful.Count, 301, DemoSafety.Compliance, "attack")]),
            DerivedData.WriteInstructions(Path.Combine(folder, "aligned.jsonl"), [.. DemoSafety.Requests(harmful, 4 * harmful.Count, 302, DemoSafety.Refusal, "aligned")]),
            DerivedData.WriteInstructions(Path.Combine(folder, "normal.jsonl"), [.. normal]),
            Path.Combine(folder, "eval-prompts.jsonl"), prompts.Count);
        // AdvBench's own layout (goal, target), so the same reader takes the real AdvBench file.
        File.WriteAllLines(files.EvalPrompts, prompts.Select(p => new JsonObject { ["goal"] = p, ["target"] = "Sure, here is" }.ToJsonString()));
        return files;
    }

    private static RunConfig BaseRun(SafetyExperimentConfig config, string folder, string model, DataFiles files) => new()
    {
        Name = "benign",
        OutputDirectory = folder,
        Seed = config.Seed,
        Rounds = config.Rounds,
        Model = new ModelSection { Path = model },
        Data = new DataSection { Path = files.Records, Template = "chatml", HeldOutFraction = 0.2 },
        Split = new SplitSection { Method = "iid", Clients = config.Clients },
        Lora = new LoraSection { Rank = 8, Alpha = 16, Dropout = 0.0, Targets = "all-linear" },
        Strategy = new StrategySection { Algorithm = "fedavg", ClientsPerRound = config.Clients },
        Training = new TrainingSection
        {
            LearningRate = config.LearningRate, MinLearningRate = config.LearningRate / 10, Schedule = "cosine", MaxSteps = config.LocalSteps,
            BatchSize = 8, MaxSequenceLength = 96, MaxGradNorm = 1.0,
        },
        Evaluation = new EvaluationSection
        {
            MaxAccuracyExamples = 0,
            Safety = new SafetyEvaluationSection { Prompts = files.EvalPrompts, MaxNewTokens = config.MaxNewTokens, Judge = config.Judge },
        },
    };

    private static void WriteChart(ExperimentTable table, string path)
    {
        var rows = table.Rows.Where(r => r.Values[0] is double).ToList();
        PlotWriter.StackedBars(path, "Refusal rate on held-out harmful requests", "arm", "refusal rate",
            [.. rows.Select(r => r.Arm)], [new BarGroup("refusal rate", [.. rows.Select(r => r.Values[0]!.Value)])]);
    }
}
