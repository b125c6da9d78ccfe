namespace FedLlm.Training.Examples;

/// <summary>
/// One training sequence: token ids and, per position, the id the model should predict there or
/// <see cref="IgnoreLabel"/> where no loss is taken (prompt, user turns, padding).
/// Labels are aligned with inputs (label[i] is the target for the token at i, i.e. input[i] itself); the trainer shifts.
/// </summary>
public sealed record TokenizedExample(int[] InputIds, int[] Labels)
{
    public const int IgnoreLabel = -100;

    public int Length => InputIds.Length;
    public int TrainedTokens => Labels.Count(l => l != IgnoreLabel);
}
