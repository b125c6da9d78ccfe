namespace FedLlm.Training.Optimization;

/// <summary>Local optimisation settings shared by the SFT and DPO trainers.</summary>
public sealed record TrainerOptions
{
    public double LearningRate { get; init; } = 2e-4;
    /// <summary>Decoupled weight decay (AdamW). Explicit because TorchSharp's AdamW defaults to 0 where PyTorch uses 0.01.</summary>
    public double WeightDecay { get; init; }
    public double Beta1 { get; init; } = 0.9;
    public double Beta2 { get; init; } = 0.999;
    public double Epsilon { get; init; } = 1e-8;
    public int BatchSize { get; init; } = 4;
    public int GradientAccumulationSteps { get; init; } = 1;
    /// <summary>Gradient-norm clipping threshold; 0 or less disables it.</summary>
    public double MaxGradNorm { get; init; } = 1.0;
    public ScheduleKind Schedule { get; init; } = ScheduleKind.Constant;
    public int WarmupSteps { get; init; }
    public double MinLearningRate { get; init; }
    /// <summary>Optimiser steps to run; when null, <see cref="Epochs"/> decides.</summary>
    public int? MaxSteps { get; init; }
    public double Epochs { get; init; } = 1;
    public int MaxSequenceLength { get; init; } = 512;
    public ulong Seed { get; init; }

    public void Validate()
    {
        if (LearningRate <= 0) throw new ArgumentException($"learning rate must be positive, got {LearningRate}");
        if (WeightDecay < 0) throw new ArgumentException($"weight decay must be >= 0, got {WeightDecay}");
        if (Beta1 is < 0 or >= 1 || Beta2 is < 0 or >= 1) throw new ArgumentException($"Adam betas must be in [0, 1), got ({Beta1}, {Beta2})");
        if (BatchSize <= 0) throw new ArgumentException($"batch size must be positive, got {BatchSize}");
        if (GradientAccumulationSteps <= 0) throw new ArgumentException($"gradient accumulation steps must be positive, got {GradientAccumulationSteps}");
        if (MaxSteps is <= 0) throw new ArgumentException($"max steps must be positive, got {MaxSteps}");
        if (MaxSteps is null && Epochs <= 0) throw new ArgumentException($"epochs must be positive, got {Epochs}");
        if (MaxSequenceLength < 2) throw new ArgumentException($"max sequence length must be at least 2, got {MaxSequenceLength}");
    }

    public int ExamplesPerStep => BatchSize * GradientAccumulationSteps;

    public int ResolveSteps(int exampleCount) =>
        MaxSteps ?? Math.Max(1, (int)Math.Ceiling(Epochs * exampleCount / ExamplesPerStep));
}
