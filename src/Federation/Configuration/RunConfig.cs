using FedLlm.Federation.Robust;
using FedLlm.Federation.Strategies;
using FedLlm.Training.Runs;

namespace FedLlm.Federation.Configuration;

/// <summary>Which command reads the config: each uses a different part of it and checks what it needs.</summary>
public enum RunPurpose
{
    /// <summary><c>fedllm train</c>: one party's data, trained on this machine.</summary>
    Train,
    /// <summary><c>fedllm simulate</c>: every client in one process.</summary>
    Simulate,
    /// <summary><c>fedllm partition</c>: the split only, no model.</summary>
    Partition,
    /// <summary><c>fedllm server</c>: the coordinator of a deployed federation.</summary>
    Serve,
    /// <summary><c>fedllm client</c>: one member of a deployed federation.</summary>
    Join,
}

/// <summary>
/// The one run configuration of FedLlm: the same file (YAML, snake_case keys, every key also a flag) drives
/// <c>train</c>, <c>simulate</c>, <c>server</c> and <c>client</c>; deployment adds <c>server:</c> / <c>client:</c> sections.
/// Every check lives in <see cref="Validate"/> (and, for what needs the records, <see cref="Runs.RunData.Prepare"/>), and
/// runs before any model loads or any file is written. Defaults and meanings: docs/configuration.md.
/// </summary>
public sealed record RunConfig
{
    public string Name { get; init; } = "run";
    public string OutputDirectory { get; init; } = "runs";
    /// <summary>Every random decision of the run derives from it: split, held-out slices, sampling, LoRA init, data order, dropout.</summary>
    public ulong Seed { get; init; } = 42;
    /// <summary><c>sft</c> (instruction data) or <c>dpo</c> (preference pairs; the reference is the base with adapters off).</summary>
    public string Method { get; init; } = "sft";
    /// <summary><c>lora</c>, or <c>full</c> (every parameter; <c>fedllm train</c> only).</summary>
    public string Trainable { get; init; } = "lora";
    /// <summary>T, federated rounds (also the learning-rate schedule's horizon in a federated run).</summary>
    public int Rounds { get; init; } = 10;
    public int CheckpointEvery { get; init; } = 1;
    /// <summary>Write the global adapter in PEFT format every N rounds (always at the end); 0 = only at the end.</summary>
    public int SaveAdapterEvery { get; init; }
    /// <summary>Reject client updates whose distance from the global exceeds this norm.</summary>
    public double? MaxUpdateNorm { get; init; }
    /// <summary>
    /// Reject a client update whose distance from the global exceeds this multiple of the median distance of the
    /// round's updates (with at least three of them), so one client cannot dominate a round by sheer size; 0 = off.
    /// Not applied under encryption (the server sees no norm) or client-level DP (clipping already bounds every update).
    /// </summary>
    public double MaxUpdateNormRatio { get; init; } = 10;
    public ModelSection Model { get; init; } = new();
    public DataSection Data { get; init; } = new();
    public SplitSection Split { get; init; } = new();
    public LoraSection Lora { get; init; } = new();
    public TrainingSection Training { get; init; } = new();
    public DpoSection Dpo { get; init; } = new();
    public StrategySection Strategy { get; init; } = new();
    /// <summary>A robust aggregation rule between the validated updates and the strategy (off by default); see docs/safety.md.</summary>
    public RobustSection Robust { get; init; } = new();
    public EvaluationSection Evaluation { get; init; } = new();
    /// <summary>Differential privacy (DP-SGD or DP-FedAvg); see <see cref="PrivacySection"/>.</summary>
    public PrivacySection Privacy { get; init; } = new();
    /// <summary>Encrypted aggregation of pruned deltas (off by default); see <see cref="EncryptionSection"/>.</summary>
    public EncryptionSection Encryption { get; init; } = new();
    /// <summary>FedIT-U2S: every client writes its training data from its raw text before round 1 (off by default); see docs/synthesis.md.</summary>
    public U2sSection U2s { get; init; } = new();
    /// <summary>FedGC: every client adds generated rows to its training data before round 1 (off by default); see docs/synthesis.md.</summary>
    public FedgcSection Fedgc { get; init; } = new();
    /// <summary>Malicious clients and their attack data (off by default); see docs/safety.md.</summary>
    public AttackSection Attack { get; init; } = new();
    /// <summary>The post-hoc server defense (off by default); see docs/safety.md.</summary>
    public DefenseSection Defense { get; init; } = new();

    public string RunDirectory => Path.Combine(OutputDirectory, Name);

    /// <summary><see cref="Method"/>, parsed (call after <see cref="Validate"/>).</summary>
    public TrainingMethod MethodKind => TrainingMethods.Names.Parse(Method, "method");

    public bool IsDpo => MethodKind == TrainingMethod.Dpo;

    public TrainableParts TrainableKind => TrainingMethods.Trainable.Parse(Trainable, "trainable");

    /// <summary>The algorithm's registry entry (call after <see cref="Validate"/>).</summary>
    public StrategyKind StrategyKind => StrategyRegistry.Find(Strategy.Algorithm);

    /// <summary>Clients sampled per round in a federation of <paramref name="clients"/>.</summary>
    public int RoundSize(int clients) => ClientSampler.SampleSize(clients, Strategy.ClientsPerRound, Strategy.ClientFraction);

    /// <summary>The strategy's options for a federation of <paramref name="totalClients"/>.</summary>
    public StrategyOptions StrategyOptions(int totalClients) => Strategy.ToOptions(totalClients, Rounds, Training);

    /// <summary>
    /// The run's server strategy, built the same way by the simulation, the server and (under encryption) every member:
    /// the algorithm, behind the robust rule if any, behind client-level DP if configured. <paramref name="totalClients"/>
    /// is N, every listed client (SCAFFOLD divides by it); <paramref name="activeClients"/> are those rounds are drawn
    /// from (revoked members left out), which DP-FedAvg's m and q = m/N must count, or ε would be understated.
    /// </summary>
    public ServerStrategy CreateStrategy(int totalClients, int activeClients)
    {
        var strategy = StrategyRegistry.Create(StrategyOptions(totalClients));
        if (Robust.Create(Seed) is { } rule) strategy = new RobustServerStrategy(strategy, rule);
        return Privacy.Wrap(strategy, this, activeClients);
    }

    /// <summary>
    /// Every problem the config shows on its own for <paramref name="purpose"/>, each naming its key (and, for a
    /// combination that cannot work, both keys). Problems that need the records (a natural split's client count, a
    /// missing split field) are found by <see cref="Runs.RunData.Prepare"/>.
    /// </summary>
    public IReadOnlyList<string> Validate(RunPurpose purpose) => RunConfigValidation.Problems(this, purpose);

    /// <summary>
    /// The checks that need the federation's size, in one place, for whoever learns it: the config check
    /// (<c>split.clients</c>), <see cref="Runs.RunData.Prepare"/> (a natural split's clients) and the server (its
    /// <c>server.clients</c>). <paramref name="totalClients"/> counts every client, <paramref name="activeClients"/> those
    /// rounds are drawn from, <paramref name="minClients"/> the fewest accepted updates that aggregate (<c>server.min_clients</c>);
    /// <paramref name="source"/> names where N comes from. Nothing <see cref="Validate"/> reports is repeated.
    /// </summary>
    public IReadOnlyList<string> ValidateFederation(int totalClients, int activeClients, string source, int minClients = 1) =>
        RunConfigValidation.Federation(this, totalClients, activeClients, source, minClients);

    /// <summary>Throws one exception listing every problem of <see cref="Validate"/>.</summary>
    public void ThrowIfInvalid(RunPurpose purpose)
    {
        var problems = Validate(purpose);
        if (problems.Count > 0) throw new ArgumentException("invalid config: " + string.Join("; ", problems));
    }
}
