using FedLlm.Foundation.Configuration;

namespace FedLlm.Training.Optimization;

public enum ScheduleKind { Constant, Linear, Cosine }

/// <summary>The spelling of <see cref="ScheduleKind"/> in configs (<c>training.schedule</c>).</summary>
public static class ScheduleKinds
{
    public static readonly NamedValues<ScheduleKind> Names = new(("constant", ScheduleKind.Constant), ("linear", ScheduleKind.Linear), ("cosine", ScheduleKind.Cosine));
}

/// <summary>
/// The one learning-rate schedule of FedLlm, over whatever unit the run counts: optimiser steps in <c>fedllm train</c>,
/// rounds in a federated run (OpenFedLLM's <c>cosine_learning_rate</c>: the rate is constant within a round and moves
/// from round to round). Linear warmup over the first <paramref name="WarmupSteps"/> units, then constant, linear decay
/// or cosine decay from <paramref name="PeakLearningRate"/> towards <paramref name="MinLearningRate"/> over the rest:
/// lr(t) = lr_min + ½(lr₀ − lr_min)(1 + cos(π·t/T)), so unit 0 gets lr₀ and the floor is approached, not reached.
/// Units past <paramref name="TotalSteps"/> (a run extended past its plan) stay at the floor.
/// </summary>
public sealed record LearningRateSchedule
{
    public LearningRateSchedule(ScheduleKind kind, double peakLearningRate, int totalSteps, int warmupSteps = 0, double minLearningRate = 0)
    {
        if (!(peakLearningRate > 0) || double.IsInfinity(peakLearningRate))
            throw new ArgumentOutOfRangeException(nameof(peakLearningRate), peakLearningRate, "learning rate must be a finite number > 0");
        if (!(minLearningRate >= 0) || (kind != ScheduleKind.Constant && minLearningRate > peakLearningRate))
            throw new ArgumentOutOfRangeException(nameof(minLearningRate), minLearningRate, $"minimum learning rate must be in [0, {peakLearningRate}]");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(totalSteps);
        ArgumentOutOfRangeException.ThrowIfNegative(warmupSteps);
        Kind = kind;
        PeakLearningRate = peakLearningRate;
        TotalSteps = totalSteps;
        WarmupSteps = warmupSteps;
        MinLearningRate = minLearningRate;
    }

    public ScheduleKind Kind { get; }
    public double PeakLearningRate { get; }
    public int TotalSteps { get; }
    public int WarmupSteps { get; }
    public double MinLearningRate { get; }

    /// <summary>The rate of 0-based unit <paramref name="step"/> (an optimiser step, or a round).</summary>
    public double At(int step)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        if (WarmupSteps > 0 && step < WarmupSteps) return PeakLearningRate * (step + 1) / WarmupSteps;
        int decaySteps = Math.Max(1, TotalSteps - WarmupSteps);
        int done = Math.Clamp(step - WarmupSteps, 0, decaySteps);
        return Kind switch
        {
            ScheduleKind.Constant => PeakLearningRate,
            ScheduleKind.Linear => MinLearningRate + (PeakLearningRate - MinLearningRate) * (1 - (double)done / decaySteps),
            ScheduleKind.Cosine => MinLearningRate + 0.5 * (PeakLearningRate - MinLearningRate) * (1.0 + Math.Cos(Math.PI * done / decaySteps)),
            _ => throw new InvalidOperationException($"unknown schedule {Kind}"),
        };
    }
}
