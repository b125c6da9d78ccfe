using FedLlm.Privacy.Accounting;
using FedLlm.Training.Privacy;

namespace FedLlm.Federation.Privacy;

/// <summary>
/// How every client runs sample-level DP-SGD in a federation. Each client keeps its own accountant for the whole run
/// (all steps of all rounds it joins), persisted in its state store, so ε composes across rounds and survives resume.
/// </summary>
public sealed record LocalDpSgdPlan
{
    /// <summary>σ, C, expected batch. σ is ignored when <see cref="TargetEpsilon"/> is set without <see cref="FixedNoise"/>.</summary>
    public required DpSgdOptions Options { get; init; }

    /// <summary>True when σ was given; false when each client calibrates σ to reach <see cref="TargetEpsilon"/>.</summary>
    public bool FixedNoise { get; init; } = true;

    /// <summary>The ε to calibrate σ for (over <see cref="PlannedSteps"/>), and the budget for <see cref="StopWhenExhausted"/>.</summary>
    public double? TargetEpsilon { get; init; }

    public double Delta { get; init; } = 1e-5;

    /// <summary>Local steps in the whole run if the client joined every round: the conservative horizon σ is calibrated for.</summary>
    public long PlannedSteps { get; init; }

    /// <summary>A client whose ε would pass <see cref="TargetEpsilon"/> in this round declines to train.</summary>
    public bool StopWhenExhausted { get; init; }

    /// <summary>σ for a client with <paramref name="datasetSize"/> examples training <paramref name="examplesPerStep"/> per step.</summary>
    public double NoiseFor(int datasetSize, int examplesPerStep)
    {
        if (FixedNoise || TargetEpsilon is not double target) return Options.NoiseMultiplier;
        double q = Options.ResolveSampleRate(datasetSize, examplesPerStep);
        return NoiseCalibration.NoiseForEpsilon(target, Delta, q, PlannedSteps);
    }
}
