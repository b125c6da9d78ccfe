using FedLlm.Training.Examples;

namespace FedLlm.Training.Dpo;

/// <summary>A prompt continued two ways; labels mark only the continuation (response) tokens.</summary>
public sealed record PreferencePair(TokenizedExample Chosen, TokenizedExample Rejected);

/// <summary>DPO metrics of one optimiser step (TRL's names).</summary>
public sealed record DpoStepMetrics(int Step, double Loss, double RewardChosen, double RewardRejected, double Accuracy, double LearningRate)
{
    public double Margin => RewardChosen - RewardRejected;
}
