using FedLlm.Training.Examples;

namespace FedLlm.Training.Dpo;

/// <summary>A prompt continued two ways; labels mark only the continuation (response) tokens.</summary>
public sealed record PreferencePair(TokenizedExample Chosen, TokenizedExample Rejected);

/// <summary>
/// DPO metrics of one optimiser step (TRL's rewards/chosen, rewards/rejected, rewards/accuracies), with the gradient norm
/// before clipping and the number of labelled (response) tokens in the step's chosen and rejected sequences.
/// </summary>
public sealed record DpoStepMetrics(int Step, double Loss, double RewardChosen, double RewardRejected, double Accuracy, double LearningRate,
    double GradNorm = double.NaN, long Tokens = 0)
{
    public double Margin => RewardChosen - RewardRejected;
}

/// <summary>DPO loss and implicit-reward statistics of a set of pairs, without training (means over pairs).</summary>
public sealed record DpoEvaluation(double Loss, double RewardChosen, double RewardRejected, double Accuracy, int Pairs)
{
    public double Margin => RewardChosen - RewardRejected;
}
