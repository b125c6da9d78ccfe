namespace FedLlm.Training.Sft;

/// <summary>What one optimiser step did.</summary>
public sealed record StepMetrics(int Step, double Loss, double LearningRate, double GradNorm, long Tokens);

/// <summary>The outcome of a local training run.</summary>
public sealed record TrainingResult(int Steps, double MeanLoss, IReadOnlyList<StepMetrics> History);
