namespace FedLlm.Training.Examples;

/// <summary>
/// One training sequence: token ids and, per position, the id the model should predict there or
/// <see cref="IgnoreLabel"/> where no loss is taken (prompt, user turns, padding).
/// Labels are aligned with inputs (label[i] is the target for the token at i, i.e. input[i] itself); the trainer shifts.
/// </summary>
public sealed record TokenizedExample(int[] InputIds, int[] Labels)
{
    public const int IgnoreLabel = -100;

    public int[] Labels
    {
        get;
        init
        {
            field = value;
            TargetTokens = CountTargets(value);
        }
    } = Labels;

    /// <summary>
    /// Labelled positions the loss is taken on after the shift (the first label predicts nothing); counted once here
    /// because trainers need it per example per step. A <c>with</c> that replaces <see cref="Labels"/> recounts.
    /// </summary>
    public int TargetTokens { get; private init; } = CountTargets(Labels);

    public int Length => InputIds.Length;
    public int TrainedTokens => Labels.Count(l => l != IgnoreLabel);

    private static int CountTargets(int[] labels) => labels.Skip(1).Count(l => l != IgnoreLabel);
}
