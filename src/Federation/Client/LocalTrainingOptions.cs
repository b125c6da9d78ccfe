using FedLlm.Training.Optimization;

namespace FedLlm.Federation.Client;

/// <summary>How each client trains in a round. The learning rate comes from the server's round plan.</summary>
public sealed record LocalTrainingOptions
{
    public int LocalSteps { get; init; } = 10;
    public int BatchSize { get; init; } = 4;
    public int GradientAccumulationSteps { get; init; } = 1;
    public double MaxGradNorm { get; init; } = 1.0;
    public double WeightDecay { get; init; }
    public int MaxSequenceLength { get; init; } = 256;

    public TrainerOptions ForRound(double learningRate, ulong seed) => new()
    {
        LearningRate = learningRate,
        WeightDecay = WeightDecay,
        BatchSize = BatchSize,
        GradientAccumulationSteps = GradientAccumulationSteps,
        MaxGradNorm = MaxGradNorm,
        MaxSteps = LocalSteps,
        MaxSequenceLength = MaxSequenceLength,
        Schedule = ScheduleKind.Constant, // constant within a round; the server's plan moves it across rounds
        Seed = seed,
    };
}
