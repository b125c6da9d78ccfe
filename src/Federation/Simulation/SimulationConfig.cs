using System.Globalization;
using FedLlm.Data.Loading;
using FedLlm.Federation.Client;
using FedLlm.Federation.Splits;
using FedLlm.Federation.Strategies;

namespace FedLlm.Federation.Simulation;

/// <summary>Everything a simulated federated run needs; YAML keys are the snake_case property names.</summary>
public sealed record SimulationConfig
{
    public string Name { get; init; } = "run";
    public string OutputDirectory { get; init; } = "runs";
    public ulong Seed { get; init; } = 42;
    public ModelSection Model { get; init; } = new();
    public DataSection Data { get; init; } = new();
    public SplitSection Split { get; init; } = new();
    public LoraSection Lora { get; init; } = new();
    public StrategySection Strategy { get; init; } = new();
    public LocalTrainingOptions Local { get; init; } = new();
    /// <summary>Differential privacy (DP-SGD or DP-FedAvg); see <see cref="PrivacySection"/>.</summary>
    public PrivacySection Privacy { get; init; } = new();
    public int Rounds { get; init; } = 10;
    /// <summary>Evaluate every N rounds (and always after the last); 0 = only at the end.</summary>
    public int EvaluateEvery { get; init; }
    public int CheckpointEvery { get; init; } = 1;
    /// <summary>Write the global adapter in PEFT format every N rounds (and always at the end); 0 = only at the end.</summary>
    public int SaveAdapterEvery { get; init; }
    /// <summary>Reject client updates whose distance from the global exceeds this norm.</summary>
    public double? MaxUpdateNorm { get; init; }
    /// <summary>Encrypted FedAvg of pruned deltas (off by default); see <see cref="EncryptionSection"/>.</summary>
    public EncryptionSection Encryption { get; init; } = new();

    public string RunDirectory => Path.Combine(OutputDirectory, Name);

    /// <summary>
    /// Every problem the config shows on its own, found before any data or model loads. Problems that need the data
    /// (a natural split's client count, a missing split field) are found by <see cref="SimulationData.Prepare"/>.
    /// </summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (Rounds <= 0) problems.Add($"rounds must be positive, got {Rounds}");
        if (EvaluateEvery < 0) problems.Add($"evaluate_every must be >= 0, got {EvaluateEvery}");
        if (CheckpointEvery < 0) problems.Add($"checkpoint_every must be >= 0, got {CheckpointEvery}");
        if (SaveAdapterEvery < 0) problems.Add($"save_adapter_every must be >= 0, got {SaveAdapterEvery}");
        if (Model.Path is null && Model.Preset is null) problems.Add("model: give a path or a preset");
        bool natural = Split.Method == SplitMethods.Natural;
        if (!natural && Split.Clients <= 0) problems.Add($"split.clients must be positive, got {Split.Clients}");
        if (Split.Method is SplitMethods.DirichletLabel or SplitMethods.QuantityDirichlet && !(Split.Alpha > 0))
            problems.Add($"split.alpha must be > 0 for a Dirichlet split, got {Split.Alpha.ToString(CultureInfo.InvariantCulture)}");
        if (natural && string.IsNullOrEmpty(Split.Field))
            problems.Add("split.field is required for a natural split (e.g. client or language)");
        if (Split.Method is not (SplitMethods.Iid or SplitMethods.DirichletLabel or SplitMethods.QuantityDirichlet or SplitMethods.Natural))
            problems.Add($"split.method '{Split.Method}' is unknown (valid: {SplitMethods.Iid}, {SplitMethods.DirichletLabel}, {SplitMethods.QuantityDirichlet}, {SplitMethods.Natural})");
        if (Data.HeldOutFraction is < 0 or >= 1) problems.Add($"data.held_out_fraction must be in [0, 1), got {Data.HeldOutFraction}");
        try { BadRowPolicyNames.Parse(Data.OnBadRow, "data.on_bad_row"); }
        catch (ArgumentException e) { problems.Add(e.Message); }
        if (Data.TestFraction is < 0 or >= 1) problems.Add($"data.test_fraction must be in [0, 1), got {Data.TestFraction}");
        if (Data.TestPath is not null && Data.TestFraction > 0) problems.Add("give data.test_path or data.test_fraction, not both");
        if (Data.MaxTestAccuracyExamples < 0) problems.Add($"data.max_test_accuracy_examples must be >= 0, got {Data.MaxTestAccuracyExamples}");
        if (Strategy.Schedule is not ("cosine" or "constant"))
            problems.Add($"strategy.schedule '{Strategy.Schedule}' is unknown (valid: cosine, constant)");
        if (Local.LocalSteps <= 0) problems.Add($"local.local_steps must be positive, got {Local.LocalSteps}");
        if (!natural && Strategy.ClientsPerRound is int k && k > Split.Clients && Split.Clients > 0)
            problems.Add($"strategy.clients_per_round ({k}) is larger than the number of clients (split.clients = {Split.Clients})");
        // The k <= N check above names the config keys; a natural split's N is known only once the data is split.
        int federationSize = natural ? int.MaxValue : Math.Max(Split.Clients, Strategy.ClientsPerRound ?? 1);
        problems.AddRange(StrategyFactory.Validate(Strategy.ToOptions(federationSize, Math.Max(1, Rounds))).Select(p => "strategy: " + p));
        problems.AddRange(Privacy.Validate(this));
        // encryption: how many ciphertexts one round sums; a natural split's count is checked once the data is split.
        problems.AddRange(Encryption.Validate(Strategy.Algorithm, natural ? 0 : RoundSize(Math.Max(0, Split.Clients))));
        return problems;
    }

    /// <summary>Clients sampled per round in a federation of <paramref name="clients"/>.</summary>
    public int RoundSize(int clients) => ClientSampler.SampleSize(clients, Strategy.ClientsPerRound, Strategy.ClientFraction);

    /// <summary>Throws one exception listing every problem of <see cref="Validate"/>.</summary>
    public void ThrowIfInvalid()
    {
        var problems = Validate();
        if (problems.Count > 0) throw new ArgumentException("invalid config: " + string.Join("; ", problems));
    }
}

public sealed record ModelSection
{
    /// <summary>A Hugging Face model folder.</summary>
    public string? Path { get; init; }
    /// <summary>When no path is given: a random model of this preset (tests only; it knows nothing).</summary>
    public string? Preset { get; init; }
    public string DType { get; init; } = "float32";
}

public sealed record DataSection
{
    /// <summary>Dataset file; null means the built-in demo tasks.</summary>
    public string? Path { get; init; }
    public string Format { get; init; } = "auto";
    public string Template { get; init; } = "alpaca";
    public int DemoRecords { get; init; } = 1400;
    public double HeldOutFraction { get; init; } = 0.15;
    /// <summary>skip (count and report malformed rows) or fail (stop at the first one, naming file and line).</summary>
    public string OnBadRow { get; init; } = BadRowPolicyNames.Skip;
    /// <summary>Cap on held-out examples per client used for accuracy (generation is the slow part).</summary>
    public int MaxAccuracyExamplesPerClient { get; init; } = 16;
    /// <summary>Optional global test set file (same format rules as <see cref="Path"/>), scored at every evaluation.</summary>
    public string? TestPath { get; init; }
    /// <summary>Instead of a file: this fraction of the pooled records is set aside as the global test set before the split.</summary>
    public double TestFraction { get; init; }
    /// <summary>Cap on global test examples used for accuracy (only examples with a reference answer count).</summary>
    public int MaxTestAccuracyExamples { get; init; } = 64;
}

public sealed record SplitSection
{
    public string Method { get; init; } = "dirichlet";
    public int Clients { get; init; } = 8;
    public double Alpha { get; init; } = 0.5;
    /// <summary>Label field for Dirichlet (category) or the grouping field for natural splits (client, language, category).</summary>
    public string Field { get; init; } = "category";
}

public sealed record LoraSection
{
    public int Rank { get; init; } = 8;
    public double Alpha { get; init; } = 16;
    public double Dropout { get; init; } = 0.05;
    public string Targets { get; init; } = "all-linear";
    public bool UseRsLora { get; init; }
}

public sealed record StrategySection
{
    public string Algorithm { get; init; } = "fedavg";
    public int? ClientsPerRound { get; init; }
    public double? ClientFraction { get; init; }
    public double LearningRate { get; init; } = 2e-3;
    public double MinLearningRate { get; init; } = 1e-4;
    public string Schedule { get; init; } = "cosine";
    public double ProximalMu { get; init; } = 0.01;
    public double? ServerLearningRate { get; init; }
    public double? Beta1 { get; init; }
    public double Beta2 { get; init; } = 0.99;
    public double Tau { get; init; } = 1e-3;

    public StrategyOptions ToOptions(int totalClients, int rounds) => new()
    {
        Algorithm = Algorithm,
        TotalClients = totalClients,
        ClientsPerRound = ClientsPerRound,
        ClientFraction = ClientFraction,
        TotalRounds = rounds,
        LearningRate = LearningRate,
        MinLearningRate = MinLearningRate,
        LearningRateSchedule = Schedule.Equals("constant", StringComparison.OrdinalIgnoreCase)
            ? LearningRateScheduleKind.Constant : LearningRateScheduleKind.Cosine,
        ProximalMu = ProximalMu,
        ServerLearningRate = ServerLearningRate,
        Beta1 = Beta1,
        Beta2 = Beta2,
        Tau = Tau,
    };
}
