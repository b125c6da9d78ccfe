using FedLlm.Data.Loading;
using FedLlm.Data.Templates;
using FedLlm.Federation.Splits;
using FedLlm.Federation.Strategies;
using FedLlm.Models.Lora;
using FedLlm.Training.Optimization;

namespace FedLlm.Federation.Configuration;

public sealed record ModelSection
{
    /// <summary>A Hugging Face model folder (config.json, safetensors, tokenizer).</summary>
    public string? Path { get; init; }
    /// <summary>When no path is given: a random model of this preset (tests and benchmarks only; it knows nothing).</summary>
    public string? Preset { get; init; }
    /// <summary>Base weights in memory: float32 or bfloat16 (adapters and optimiser state are always fp32).</summary>
    public string Dtype { get; init; } = "float32";
}

public sealed record DataSection
{
    /// <summary>Dataset file; none = the built-in demo tasks (simulation only).</summary>
    public string? Path { get; init; }
    /// <summary>Record layout: auto, alpaca, instruction_response, conversations, preference, gsm8k, advbench, text.</summary>
    public string Format { get; init; } = "auto";
    public string Template { get; init; } = TemplateRegistry.Alpaca;
    /// <summary>skip (count and report malformed rows) or fail (stop at the first one, naming file and line).</summary>
    public string OnBadRow { get; init; } = "skip";
    /// <summary>Share of each party's records held out for its own evaluation (at least one record stays for training).</summary>
    public double HeldOutFraction { get; init; } = 0.1;
    /// <summary>Instead of <see cref="HeldOutFraction"/>: a separate file of held-out records for this party (train, a deployed client).</summary>
    public string? EvalPath { get; init; }
    /// <summary>A global test set file scored at every evaluation (simulation; a server reads no data).</summary>
    public string? TestPath { get; init; }
    /// <summary>Instead of a file: this share of the pooled records is set aside as the global test set before the split (simulation).</summary>
    public double TestFraction { get; init; }
    /// <summary>Number of demo records when <see cref="Path"/> is not set.</summary>
    public int DemoRecords { get; init; } = 1400;
}

public sealed record SplitSection
{
    /// <summary>iid, dirichlet (label skew), quantity-dirichlet (size skew) or natural (one client per field value).</summary>
    public string Method { get; init; } = "dirichlet";
    public int Clients { get; init; } = 8;
    public double Alpha { get; init; } = 0.5;
    /// <summary>Label field for Dirichlet (category) or the grouping field for natural splits (client, language, category).</summary>
    public string Field { get; init; } = "category";

    /// <summary><see cref="Method"/>, parsed to its recorded name in <see cref="SplitMethods"/> (call after validation).</summary>
    public string MethodKind => SplitMethods.Configurable.Parse(Method, "split.method");
}

/// <summary>The one LoRA section (PEFT's names and defaults).</summary>
public sealed record LoraSection
{
    public int Rank { get; init; } = 8;
    public double Alpha { get; init; } = 16;
    public double Dropout { get; init; } = 0.05;
    /// <summary>Comma-separated projection names (q_proj, k_proj, ...) or <c>all-linear</c>.</summary>
    public string Targets { get; init; } = "all-linear";
    public bool UseRsLora { get; init; }

    public LoraConfig ToConfig(string? baseModel) => new()
    {
        Rank = Rank,
        Alpha = Alpha,
        Dropout = Dropout,
        TargetModules = LoraConfig.ParseTargets(Targets),
        UseRsLora = UseRsLora,
        BaseModelNameOrPath = baseModel,
    };
}

/// <summary>
/// How a trainer runs, in <c>fedllm train</c> and on every federated client. A training session is the whole of
/// <c>train</c>, or one client's part of one round; <see cref="MaxSteps"/> counts optimiser steps per session (OpenFedLLM's
/// max_steps). The schedule moves the rate per optimiser step in <c>train</c> and per round in a federated run (constant
/// within a round, as OpenFedLLM), so both use one <see cref="LearningRateSchedule"/>.
/// </summary>
public sealed record TrainingSection
{
    public const int DefaultFederatedSteps = 10;

    public double LearningRate { get; init; } = 2e-4;
    public double MinLearningRate { get; init; }
    /// <summary>constant, linear or cosine.</summary>
    public string Schedule { get; init; } = "cosine";
    /// <summary>Linear warmup, in optimiser steps (<c>fedllm train</c> only).</summary>
    public int WarmupSteps { get; init; }
    public double WeightDecay { get; init; }
    public int BatchSize { get; init; } = 4;
    public int GradientAccumulation { get; init; } = 1;
    /// <summary>Gradient-norm clipping threshold; 0 disables clipping.</summary>
    public double MaxGradNorm { get; init; } = 1.0;
    /// <summary>Optimiser steps per session; none: <c>train</c> runs <see cref="Epochs"/> passes, a client 10 steps per round.</summary>
    public int? MaxSteps { get; init; }
    /// <summary>Passes over the records when <see cref="MaxSteps"/> is not set (<c>fedllm train</c> only).</summary>
    public double Epochs { get; init; } = 1;
    public int MaxSequenceLength { get; init; } = 512;

    /// <summary>Local steps of one client in one round.</summary>
    public int StepsPerRound => MaxSteps ?? DefaultFederatedSteps;

    public ScheduleKind ScheduleKind => ScheduleKinds.Names.Parse(Schedule, "training.schedule");

    /// <summary>The trainer's options for one session; a federated client gets its round's rate and a constant schedule.</summary>
    public TrainerOptions ToOptions(ulong seed) => new()
    {
        LearningRate = LearningRate,
        MinLearningRate = MinLearningRate,
        WeightDecay = WeightDecay,
        BatchSize = BatchSize,
        GradientAccumulationSteps = GradientAccumulation,
        MaxGradNorm = MaxGradNorm,
        Schedule = ScheduleKind,
        WarmupSteps = WarmupSteps,
        MaxSteps = MaxSteps,
        Epochs = Epochs,
        MaxSequenceLength = MaxSequenceLength,
        Seed = seed,
    };

    /// <summary>One client's session in a round: the round's rate, constant within the round, <see cref="StepsPerRound"/> steps.</summary>
    public TrainerOptions ForRound(double learningRate, ulong seed) => ToOptions(seed) with
    {
        LearningRate = learningRate,
        MinLearningRate = 0,
        Schedule = Training.Optimization.ScheduleKind.Constant,
        WarmupSteps = 0,
        MaxSteps = StepsPerRound,
    };
}

public sealed record DpoSection
{
    /// <summary>DPO temperature β: how far the policy may move from the reference (TRL's default 0.1).</summary>
    public double Beta { get; init; } = 0.1;
}

/// <summary>The server algorithm and its hyperparameters (docs/strategies.md).</summary>
public sealed record StrategySection
{
    public string Algorithm { get; init; } = "fedavg";
    public int? ClientsPerRound { get; init; }
    public double? ClientFraction { get; init; }
    public double ProximalMu { get; init; } = 0.01;
    public double? ServerLearningRate { get; init; }
    public double? Beta1 { get; init; }
    public double Beta2 { get; init; } = 0.99;
    public double Tau { get; init; } = 1e-3;

    public StrategyOptions ToOptions(int totalClients, int rounds, TrainingSection training) => new()
    {
        Algorithm = Algorithm,
        TotalClients = totalClients,
        ClientsPerRound = ClientsPerRound,
        ClientFraction = ClientFraction,
        TotalRounds = rounds,
        LearningRate = training.LearningRate,
        MinLearningRate = training.MinLearningRate,
        Schedule = ScheduleKinds.Names.TryParse(training.Schedule, out var kind) ? kind : ScheduleKind.Cosine,
        ProximalMu = ProximalMu,
        ServerLearningRate = ServerLearningRate,
        Beta1 = Beta1,
        Beta2 = Beta2,
        Tau = Tau,
    };
}

/// <summary>When and how much to evaluate. Held-out data never moves: each client scores its own.</summary>
public sealed record EvaluationSection
{
    /// <summary>Evaluate every N rounds of a federated run, or every N optimiser steps of <c>train</c>; 0 = only at the end (and, in train, before the first step).</summary>
    public int Every { get; init; }
    /// <summary>Cap on held-out examples scored for loss per client (per party).</summary>
    public int MaxExamples { get; init; } = 200;
    /// <summary>Held-out records per client scored by greedy generation and exact match (generation is the slow part).</summary>
    public int MaxAccuracyExamples { get; init; } = 16;
    /// <summary>Global test records scored for accuracy; only records with a reference answer count.</summary>
    public int MaxTestAccuracyExamples { get; init; } = 64;
    /// <summary>Also score the base model (adapters off) on every client's held-out data before round 1.</summary>
    public bool BaseModel { get; init; }
    /// <summary>Refusal rate on harmful prompts at the end of the run (off unless <c>safety.prompts</c> is set); docs/safety.md.</summary>
    public SafetyEvaluationSection Safety { get; init; } = new();
}
