namespace FedLlm.Federation.Strategies;

/// <summary>The client learning rate of each round (the trainer keeps it constant within a round, as OFL does).</summary>
public abstract class RoundLearningRateSchedule
{
    public abstract double LearningRateAt(int round);

    public static RoundLearningRateSchedule Constant(double learningRate) => new ConstantRoundSchedule(learningRate);

    public static RoundLearningRateSchedule Cosine(double initial, double minimum, int totalRounds) =>
        new CosineRoundSchedule(initial, minimum, totalRounds);
}

public sealed class ConstantRoundSchedule : RoundLearningRateSchedule
{
    public ConstantRoundSchedule(double learningRate)
    {
        if (!(learningRate > 0) || double.IsInfinity(learningRate))
        {
            throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "Learning rate must be a finite number > 0.");
        }
        LearningRate = learningRate;
    }

    public double LearningRate { get; }

    public override double LearningRateAt(int round)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(round);
        return LearningRate;
    }
}

/// <summary>
/// Cosine decay across rounds, as OFL's <c>cosine_learning_rate</c>: lr(r) = lr_min + ½(lr0 − lr_min)(1 + cos(π·r/T)),
/// with r the 0-based round and T the total number of rounds (so round 0 gets lr0 and the floor is approached, not reached).
/// Rounds beyond T (e.g. a resumed run extended past its plan) stay at the floor.
/// </summary>
public sealed class CosineRoundSchedule : RoundLearningRateSchedule
{
    public CosineRoundSchedule(double initial, double minimum, int totalRounds)
    {
        if (!(initial > 0) || double.IsInfinity(initial))
        {
            throw new ArgumentOutOfRangeException(nameof(initial), initial, "Initial learning rate must be a finite number > 0.");
        }
        if (!(minimum >= 0) || minimum > initial)
        {
            throw new ArgumentOutOfRangeException(nameof(minimum), minimum, $"Minimum learning rate must be in [0, {initial}] (the initial rate).");
        }
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(totalRounds);
        Initial = initial;
        Minimum = minimum;
        TotalRounds = totalRounds;
    }

    public double Initial { get; }
    public double Minimum { get; }
    public int TotalRounds { get; }

    public override double LearningRateAt(int round)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(round);
        int r = Math.Min(round, TotalRounds);
        return Minimum + 0.5 * (Initial - Minimum) * (1.0 + Math.Cos(Math.PI * r / TotalRounds));
    }
}
