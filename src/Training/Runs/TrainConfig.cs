using System.Globalization;
using FedLlm.Data.Formats;
using FedLlm.Data.Loading;
using FedLlm.Data.Templates;
using FedLlm.Models.Lora;
using FedLlm.Training.Optimization;

namespace FedLlm.Training.Runs;

/// <summary>
/// Everything <c>fedllm train</c> needs to fine-tune one model on one dataset; YAML keys are the snake_case property names
/// (e.g. <c>training.gradient_accumulation</c>). Defaults are listed in docs/training.md.
/// </summary>
public sealed record TrainConfig
{
    public const string SftMethod = "sft";
    public const string DpoMethod = "dpo";
    public const string LoraTrainable = "lora";
    public const string FullTrainable = "full";

    /// <summary><c>sft</c> (supervised fine-tuning on instruction data) or <c>dpo</c> (preference pairs).</summary>
    public string Method { get; init; } = SftMethod;
    /// <summary><c>lora</c> (train adapters, save a PEFT adapter) or <c>full</c> (train every parameter, save a model folder).</summary>
    public string Trainable { get; init; } = LoraTrainable;
    public string? OutputDir { get; init; }
    public TrainModelSection Model { get; init; } = new();
    public TrainDataSection Data { get; init; } = new();
    public TrainLoraSection Lora { get; init; } = new();
    public TrainOptimizationSection Training { get; init; } = new();
    public TrainDpoSection Dpo { get; init; } = new();

    public bool IsDpo => Method.Equals(DpoMethod, StringComparison.OrdinalIgnoreCase);
    public bool IsFull => Trainable.Equals(FullTrainable, StringComparison.OrdinalIgnoreCase);

    /// <summary>Every problem with the config, found before the model or data is read (file existence included).</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (!IsDpo && !Method.Equals(SftMethod, StringComparison.OrdinalIgnoreCase))
            problems.Add($"method must be sft or dpo, got '{Method}'");
        if (!IsFull && !Trainable.Equals(LoraTrainable, StringComparison.OrdinalIgnoreCase))
            problems.Add($"trainable must be lora or full, got '{Trainable}'");
        if (string.IsNullOrWhiteSpace(OutputDir)) problems.Add("output_dir is required");

        if (string.IsNullOrWhiteSpace(Model.Path)) problems.Add("model.path is required (create one with `fedllm init` or `fedllm convert`)");
        else if (!Directory.Exists(Model.Path)) problems.Add($"model.path '{Model.Path}' is not a folder");
        if (Model.Dtype is not ("float32" or "bfloat16")) problems.Add($"model.dtype must be float32 or bfloat16, got '{Model.Dtype}'");
        if (IsFull && Model.Dtype == "bfloat16") problems.Add("trainable: full needs model.dtype float32 (trained weights and optimiser state are fp32)");
        if (IsFull && IsDpo) problems.Add("method: dpo needs trainable: lora (the reference model is the base with the adapter switched off)");

        if (string.IsNullOrWhiteSpace(Data.Path)) problems.Add("data.path is required");
        else if (!File.Exists(Data.Path)) problems.Add($"data.path '{Data.Path}' does not exist");
        if (Data.EvalPath is { } evalPath && !File.Exists(evalPath)) problems.Add($"data.eval_path '{evalPath}' does not exist");
        Check(problems, () => TrainDataSection.ParseFormat(Data.Format));
        Check(problems, () => TrainDataSection.ParseBadRowPolicy(Data.OnBadRow));
        Check(problems, () => TemplateRegistry.Get(Data.Template, endOfTurn: "</s>"), "data.template: ");
        if (Data.HeldOutFraction is < 0 or >= 1 || double.IsNaN(Data.HeldOutFraction))
            problems.Add($"data.held_out_fraction must be in [0, 1), got {Data.HeldOutFraction.ToString(CultureInfo.InvariantCulture)}");
        if (Data.MaxEvalExamples <= 0) problems.Add($"data.max_eval_examples must be positive, got {Data.MaxEvalExamples}");

        if (!IsFull) Check(problems, () => Lora.ToConfig(null).Validate(), "lora: ");
        Check(problems, () => Training.ToOptions().Validate(), "training: ");
        if (Training.WarmupSteps < 0) problems.Add($"training.warmup_steps must be >= 0, got {Training.WarmupSteps}");
        if (Training.EvalEvery < 0) problems.Add($"training.eval_every must be >= 0, got {Training.EvalEvery}");
        if (IsDpo && !(Dpo.Beta > 0)) problems.Add($"dpo.beta must be positive, got {Dpo.Beta.ToString(CultureInfo.InvariantCulture)}");
        return problems;
    }

    private static void Check(List<string> problems, Action check, string prefix = "")
    {
        try { check(); }
        catch (ArgumentException e) { problems.Add(prefix + e.Message); }
    }
}

public sealed record TrainModelSection
{
    /// <summary>A Hugging Face model folder (config.json, model.safetensors, tokenizer).</summary>
    public string? Path { get; init; }
    /// <summary>Base weights in memory: float32 or bfloat16. Trained tensors and optimiser state are always fp32.</summary>
    public string Dtype { get; init; } = "float32";
}

public sealed record TrainDataSection
{
    public string? Path { get; init; }
    /// <summary>Record layout (auto, alpaca, instruction_response, conversations, preference, gsm8k, advbench, text).</summary>
    public string Format { get; init; } = "auto";
    public string Template { get; init; } = TemplateRegistry.Alpaca;
    /// <summary>skip (count and report malformed rows) or fail (stop at the first one, naming file and line).</summary>
    public string OnBadRow { get; init; } = BadRowPolicyNames.Skip;
    /// <summary>Fraction of records held out for evaluation, chosen by a shuffle seeded with <c>training.seed</c>; ignored with <see cref="EvalPath"/>.</summary>
    public double HeldOutFraction { get; init; } = 0.1;
    /// <summary>A separate evaluation file (same format); when given, every record of <see cref="Path"/> is trained on.</summary>
    public string? EvalPath { get; init; }
    /// <summary>Cap on held-out examples scored at each evaluation.</summary>
    public int MaxEvalExamples { get; init; } = 200;

    public static RecordFormat ParseFormat(string name)
    {
        string compact = name.Replace("_", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal);
        return Enum.TryParse<RecordFormat>(compact, ignoreCase: true, out var format) && !int.TryParse(compact, out _) && format != RecordFormat.Mapped
            ? format
            : throw new ArgumentException($"data.format '{name}' is unknown (valid: auto, alpaca, instruction_response, conversations, preference, gsm8k, advbench, text)");
    }

    public static BadRowPolicy ParseBadRowPolicy(string name) => BadRowPolicyNames.Parse(name, "data.on_bad_row");
}

public sealed record TrainLoraSection
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

public sealed record TrainOptimizationSection
{
    public double LearningRate { get; init; } = 2e-4;
    public double MinLearningRate { get; init; }
    public double WeightDecay { get; init; }
    public int BatchSize { get; init; } = 4;
    public int GradientAccumulation { get; init; } = 1;
    /// <summary>Gradient-norm clipping threshold; 0 disables clipping.</summary>
    public double MaxGradNorm { get; init; } = 1.0;
    public string Schedule { get; init; } = "cosine";
    public int WarmupSteps { get; init; }
    /// <summary>Optimiser steps; when absent, <see cref="Epochs"/> passes over the training records decide.</summary>
    public int? MaxSteps { get; init; }
    public double Epochs { get; init; } = 1;
    public int MaxSequenceLength { get; init; } = 512;
    public ulong Seed { get; init; } = 42;
    /// <summary>Evaluate held-out loss every N optimiser steps (and always before the first and after the last); 0 = only then.</summary>
    public int EvalEvery { get; init; } = 50;

    public TrainerOptions ToOptions() => new()
    {
        LearningRate = LearningRate,
        MinLearningRate = MinLearningRate,
        WeightDecay = WeightDecay,
        BatchSize = BatchSize,
        GradientAccumulationSteps = GradientAccumulation,
        MaxGradNorm = MaxGradNorm,
        Schedule = LearningRateSchedule.Parse(Schedule),
        WarmupSteps = WarmupSteps,
        MaxSteps = MaxSteps,
        Epochs = Epochs,
        MaxSequenceLength = MaxSequenceLength,
        Seed = Seed,
    };
}

public sealed record TrainDpoSection
{
    /// <summary>DPO temperature β: how far the policy may move from the reference (TRL's default 0.1).</summary>
    public double Beta { get; init; } = 0.1;
}
