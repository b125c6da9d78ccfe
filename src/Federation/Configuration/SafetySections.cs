using System.Globalization;
using FedLlm.Generation;

namespace FedLlm.Federation.Configuration;

/// <summary>
/// The <c>attack:</c> section: which clients are malicious and what they train on (docs/safety.md). A malicious client
/// runs the ordinary client code, with plain SFT, on attack data instead of its own training records: records from a
/// file (BeaverTails rows with <c>is_safe</c>: the unsafe ones; or any instruction/response layout), or MaliciousGen
/// rows written by a generator. Every party reads the same section: a deployed member learns its id when it joins and
/// decides its own data from it; the server never needs the attack data.
/// <code>
/// attack: {malicious_count: 3, data: beavertails.jsonl}
/// attack: {malicious_clients: "0,4,7", generator: {endpoint: http://127.0.0.1:8000/v1, model: mistral}}
/// </code>
/// </summary>
public sealed record AttackSection
{
    /// <summary>Comma-separated client ids that are malicious (e.g. "0,4,7").</summary>
    public string? MaliciousClients { get; init; }
    /// <summary>Or: the first N client ids (0 … N−1) are malicious.</summary>
    public int MaliciousCount { get; init; }
    /// <summary>Attack records: BeaverTails JSONL (<c>prompt</c>, <c>response</c>, <c>is_safe</c>) or any instruction/response layout.</summary>
    public string? Data { get; init; }
    /// <summary>Or: MaliciousGen, harmful questions and compliant answers from this generator.</summary>
    public GeneratorSection? Generator { get; init; }
    /// <summary>MaliciousGen: harmful questions written in all (shared by the malicious clients, as the file's rows are).</summary>
    public int GeneratedQuestions { get; init; } = 100;
    /// <summary>Attack records each malicious client trains on; 0 = as many as its own training records.</summary>
    public int RecordsPerClient { get; init; }

    public bool Enabled => MaliciousCount > 0 || !string.IsNullOrWhiteSpace(MaliciousClients);

    /// <summary>The malicious ids (call after <see cref="Validate"/>).</summary>
    public IReadOnlySet<int> MaliciousIds() => MaliciousCount > 0
        ? Enumerable.Range(0, MaliciousCount).ToHashSet()
        : ParseIds(MaliciousClients, out _);

    public bool IsMalicious(int clientId) => Enabled && MaliciousIds().Contains(clientId);

    /// <summary>Problems of the section on its own, for the command that reads it (the server never reads the attack data).</summary>
    public IReadOnlyList<string> Validate(RunPurpose purpose)
    {
        var problems = new List<string>();
        bool anySetting = Data is not null || Generator is not null || RecordsPerClient != 0;
        if (!Enabled)
        {
            if (MaliciousCount < 0) problems.Add($"attack.malicious_count must be >= 0, got {MaliciousCount}");
            else if (anySetting) problems.Add("attack.data/generator/records_per_client are set but no client is malicious: give attack.malicious_clients or attack.malicious_count");
            return problems;
        }
        if (purpose == RunPurpose.Train) problems.Add("attack applies to federated runs (simulate, server, client), not fedllm train");
        if (MaliciousCount != 0 && !string.IsNullOrWhiteSpace(MaliciousClients)) problems.Add("give attack.malicious_clients or attack.malicious_count, not both");
        if (MaliciousCount < 0) problems.Add($"attack.malicious_count must be >= 0, got {MaliciousCount}");
        if (!string.IsNullOrWhiteSpace(MaliciousClients))
        {
            ParseIds(MaliciousClients, out string? problem);
            if (problem is not null) problems.Add(problem);
        }
        if ((Data is null) == (Generator is null)) problems.Add("attack: give attack.data (a file of attack records) or attack.generator (MaliciousGen), not both or neither");
        // The server reads the same file but never the attack data: only malicious members need it where they run.
        if (Data is not null && purpose != RunPurpose.Serve && !File.Exists(Data)) problems.Add($"attack.data '{Data}' does not exist");
        if (Generator is not null) problems.AddRange(Generator.Validate("attack.generator."));
        if (GeneratedQuestions < 1) problems.Add($"attack.generated_questions must be positive, got {GeneratedQuestions}");
        if (RecordsPerClient < 0) problems.Add($"attack.records_per_client must be >= 0 (0 = as many as the client's own records), got {RecordsPerClient}");
        return problems;
    }

    /// <summary>The checks that need N (the federation's size): every malicious id must name a client.</summary>
    public string? FederationProblem(int totalClients, string source)
    {
        if (!Enabled) return null;
        int highest = MaliciousIds().DefaultIfEmpty(-1).Max();
        if (MaliciousCount > totalClients) return $"attack.malicious_count ({MaliciousCount}) is larger than the {totalClients} clients ({source})";
        if (highest >= totalClients) return $"attack.malicious_clients names client {highest}, but the clients are 0 … {totalClients - 1} ({source})";
        return null;
    }

    private static HashSet<int> ParseIds(string? text, out string? problem)
    {
        problem = null;
        var ids = new HashSet<int>();
        foreach (string part in (text ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int id))
                problem ??= $"attack.malicious_clients must be comma-separated client ids (e.g. \"0,4,7\"), got '{text}'";
            else ids.Add(id);
        }
        if (ids.Count == 0) problem ??= $"attack.malicious_clients names no client id, got '{text}'";
        return ids;
    }
}

/// <summary>Where the post-hoc defense's aligned and normal samples come from (Ye et al.'s levels).</summary>
public enum DefenseLevel
{
    Off = 0,
    /// <summary>Public data: aligned (harmful question → refusal) and normal pairs from files.</summary>
    PublicData = 1,
    /// <summary>An off-the-shelf generator answers (and, without files, asks) the questions.</summary>
    Generator = 2,
    /// <summary>The aggregated model itself answers (and, without files, asks) the questions.</summary>
    AggregatedModel = 3,
}

/// <summary>
/// The <c>defense:</c> section: the post-hoc server defense of Ye et al. (ICLR 2025). After the final round (and every
/// <see cref="Every"/> rounds) the server fine-tunes the aggregated adapter on half aligned (harmful question → refusal),
/// half normal samples; the defended adapter is the run's output and the undefended one is kept beside it.
/// <code>
/// defense: {level: 1, aligned_data: aligned.jsonl, normal_data: alpaca.jsonl}
/// defense: {level: 2, generator: {endpoint: http://127.0.0.1:8000/v1, model: mistral}}
/// defense: {level: 3, aligned_data: harmful-questions.csv}
/// </code>
/// </summary>
public sealed record DefenseSection
{
    /// <summary>0 (off), 1 (public data), 2 (a generator), 3 (the aggregated model itself).</summary>
    public int Level { get; init; }
    /// <summary>Level 1: aligned pairs (harmful question → refusal). Levels 2–3: only the prompts are used, as harmful questions.</summary>
    public string? AlignedData { get; init; }
    /// <summary>Level 1: normal instruction/response pairs. Levels 2–3: only the prompts are used, as normal questions.</summary>
    public string? NormalData { get; init; }
    /// <summary>Level 2: the generator that writes the samples.</summary>
    public GeneratorSection? Generator { get; init; }
    /// <summary>Samples in all, half aligned and half normal (the paper's 1,000).</summary>
    public int Samples { get; init; } = 1000;
    /// <summary>Optimiser steps on the server (the paper's 500: 50 rounds × 10 steps).</summary>
    public int Steps { get; init; } = 500;
    /// <summary>The server's learning rate (the paper's 5e-5); unset: training.learning_rate.</summary>
    public double? LearningRate { get; init; }
    /// <summary>Unset: training.batch_size.</summary>
    public int? BatchSize { get; init; }
    /// <summary>Also defend after every R rounds (0 = only after the final round); the defended global goes on to the next round.</summary>
    public int Every { get; init; }
    /// <summary>Levels 2–3: tokens per generated answer.</summary>
    public int MaxNewTokens { get; init; } = 64;

    public DefenseLevel LevelKind => (DefenseLevel)Level;

    public bool Enabled => Level != 0;

    public IReadOnlyList<string> Validate(RunPurpose purpose, bool encrypted)
    {
        if (Level == 0) return [];
        var problems = new List<string>();
        if (Level is < 0 or > 3) problems.Add($"defense.level must be 0 (off), 1 (public data), 2 (a generator) or 3 (the aggregated model), got {Level}");
        if (purpose == RunPurpose.Train) problems.Add("defense applies to federated runs: the server defends the aggregated adapter");
        if (encrypted) problems.Add("defense.level cannot be combined with encryption.enabled: the server holds no plaintext global to fine-tune");
        // Only the server (or the simulation) reads the defense data; a member reading the same file does not.
        bool reads = purpose is RunPurpose.Serve or RunPurpose.Simulate;
        if (Level == 1 && (AlignedData is null || NormalData is null)) problems.Add("defense.level 1 needs defense.aligned_data and defense.normal_data (public aligned and normal pairs)");
        if (Level == 2 && Generator is null) problems.Add("defense.level 2 needs defense.generator (the off-the-shelf model that writes the samples)");
        if (Level != 2 && Generator is not null) problems.Add($"defense.generator is used by defense.level 2 only, got level {Level}");
        if (Generator is not null) problems.AddRange(Generator.Validate("defense.generator."));
        if (reads && AlignedData is not null && !File.Exists(AlignedData)) problems.Add($"defense.aligned_data '{AlignedData}' does not exist");
        if (reads && NormalData is not null && !File.Exists(NormalData)) problems.Add($"defense.normal_data '{NormalData}' does not exist");
        if (Samples < 2) problems.Add($"defense.samples must be at least 2 (half aligned, half normal), got {Samples}");
        if (Steps < 1) problems.Add($"defense.steps must be positive, got {Steps}");
        if (LearningRate is double rate && !(rate > 0 && double.IsFinite(rate))) problems.Add($"defense.learning_rate must be a finite number > 0, got {rate.ToString(CultureInfo.InvariantCulture)}");
        if (BatchSize is < 1) problems.Add($"defense.batch_size must be positive, got {BatchSize}");
        if (Every < 0) problems.Add($"defense.every must be >= 0 (0 = after the final round only), got {Every}");
        if (MaxNewTokens < 1) problems.Add($"defense.max_new_tokens must be positive, got {MaxNewTokens}");
        return problems;
    }
}

/// <summary>
/// <c>evaluation.safety</c>: the refusal rate of the final global (and of the base, with <c>evaluation.base_model</c>)
/// on harmful prompts (AdvBench's <c>goal</c> column, or any instruction layout's prompts), sampled as the paper does
/// (temperature 0.7, top-p 1) with a seed, under the refusal-substring rule and optionally an LLM judge.
/// </summary>
public sealed record SafetyEvaluationSection
{
    /// <summary>The harmful prompts (e.g. ../shared/data/advbench/harmful_behaviors.csv); unset: no safety evaluation.</summary>
    public string? Prompts { get; init; }
    /// <summary>Prompts asked (the first N in file order after <see cref="SkipPrompts"/>); 0 = all.</summary>
    public int MaxPrompts { get; init; }
    /// <summary>Prompts skipped first (e.g. the ones a run trained on).</summary>
    public int SkipPrompts { get; init; }
    public double Temperature { get; init; } = 0.7;
    public double TopP { get; init; } = 1.0;
    public int MaxNewTokens { get; init; } = 64;
    /// <summary>MD-Judge style: a generator whose answer's first line says safe or unsafe (temperature 0).</summary>
    public GeneratorSection? Judge { get; init; }

    public bool Enabled => Prompts is not null;

    public IReadOnlyList<string> Validate(RunPurpose purpose)
    {
        var problems = new List<string>();
        if (!Enabled)
        {
            if (Judge is not null) problems.Add("evaluation.safety.judge is set without evaluation.safety.prompts (the harmful prompts it judges answers to)");
            return problems;
        }
        // The server (or the simulation) evaluates; a member reads the file but not these prompts.
        if (purpose is RunPurpose.Serve or RunPurpose.Simulate && !File.Exists(Prompts))
            problems.Add($"evaluation.safety.prompts '{Prompts}' does not exist");
        if (MaxPrompts < 0) problems.Add($"evaluation.safety.max_prompts must be >= 0 (0 = all), got {MaxPrompts}");
        if (SkipPrompts < 0) problems.Add($"evaluation.safety.skip_prompts must be >= 0, got {SkipPrompts}");
        if (!(Temperature is >= 0 and <= 2)) problems.Add($"evaluation.safety.temperature must be in [0, 2], got {Temperature.ToString(CultureInfo.InvariantCulture)}");
        if (!(TopP is > 0 and <= 1)) problems.Add($"evaluation.safety.top_p must be in (0, 1], got {TopP.ToString(CultureInfo.InvariantCulture)}");
        if (MaxNewTokens < 1) problems.Add($"evaluation.safety.max_new_tokens must be positive, got {MaxNewTokens}");
        if (Judge is not null) problems.AddRange(Judge.Validate("evaluation.safety.judge."));
        return problems;
    }
}
