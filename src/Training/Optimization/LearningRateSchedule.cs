namespace FedLlm.Training.Optimization;

public enum ScheduleKind { Constant, Linear, Cosine }

/// <summary>Learning rate per optimiser step: linear warmup, then constant, linear decay to 0 or cosine decay to a floor.</summary>
public sealed record LearningRateSchedule(ScheduleKind Kind, double PeakLearningRate, int TotalSteps, int WarmupSteps = 0, double MinLearningRate = 0)
{
    public double At(int step)
    {
        if (WarmupSteps > 0 && step < WarmupSteps) return PeakLearningRate * (step + 1) / WarmupSteps;
        int decaySteps = Math.Max(1, TotalSteps - WarmupSteps);
        double progress = Math.Clamp((double)(step - WarmupSteps) / decaySteps, 0, 1);
        return Kind switch
        {
            ScheduleKind.Constant => PeakLearningRate,
            ScheduleKind.Linear => MinLearningRate + (PeakLearningRate - MinLearningRate) * (1 - progress),
            ScheduleKind.Cosine => MinLearningRate + 0.5 * (PeakLearningRate - MinLearningRate) * (1 + Math.Cos(Math.PI * progress)),
            _ => throw new InvalidOperationException($"unknown schedule {Kind}"),
        };
    }

    public static ScheduleKind Parse(string name) => name.ToLowerInvariant() switch
    {
        "constant" => ScheduleKind.Constant,
        "linear" => ScheduleKind.Linear,
        "cosine" => ScheduleKind.Cosine,
        _ => throw new ArgumentException($"unknown learning-rate schedule '{name}' (valid: constant, linear, cosine)"),
    };
}
