namespace FedLlm.Evaluation.Statistics;

/// <summary>
/// Accuracy and macro-F1 as scikit-learn computes them without a <c>labels</c> argument (FinGPT's call): F1 per label =
/// 2·TP / (2·TP + FP + FN) over the labels that occur among the gold answers or the predictions, then their plain mean.
/// An unmapped answer is the label <see cref="Unmapped"/>: always wrong, and a label of its own with F1 = 0.
/// </summary>
public static class ClassificationScores
{
    public const string Unmapped = "(unmapped)";

    public static Func<int[], double> Accuracy(IReadOnlyList<string> gold, IReadOnlyList<string?> predicted) => weights =>
    {
        double correct = 0, total = 0;
        for (int i = 0; i < gold.Count; i++)
        {
            total += weights[i];
            if (predicted[i] == gold[i]) correct += weights[i];
        }
        return total == 0 ? double.NaN : correct / total;
    };

    public static Func<int[], double> MacroF1(IReadOnlyList<string> labels, IReadOnlyList<string> gold, IReadOnlyList<string?> predicted) => weights =>
    {
        double sum = 0;
        int counted = 0;
        foreach (string label in labels.Append(Unmapped))
        {
            double tp = 0, fp = 0, fn = 0;
            for (int i = 0; i < gold.Count; i++)
            {
                if (weights[i] == 0) continue;
                bool isGold = gold[i] == label, isPredicted = (predicted[i] ?? Unmapped) == label;
                if (isGold && isPredicted) tp += weights[i];
                else if (isPredicted) fp += weights[i];
                else if (isGold) fn += weights[i];
            }
            if (tp + fp + fn == 0) continue;
            sum += 2 * tp / (2 * tp + fp + fn);
            counted++;
        }
        return counted == 0 ? double.NaN : sum / counted;
    };
}
