namespace FedLlm.Federation.Splits;

/// <summary>
/// Per-client sizes and label histograms of a split, for <c>fedllm partition</c> (which prints and plots them).
/// </summary>
public sealed class SplitSummary
{
    private SplitSummary(ClientSplit split, IReadOnlyList<string> labels, int[][] histogram)
    {
        Split = split;
        Sizes = split.Sizes();
        ClientNames = [.. Enumerable.Range(0, split.ClientCount).Select(split.NameOf)];
        Labels = labels;
        LabelHistogram = histogram;
        MinSize = Sizes.Count == 0 ? 0 : Sizes.Min();
        MaxSize = Sizes.Count == 0 ? 0 : Sizes.Max();
        MeanSize = Sizes.Count == 0 ? 0 : Sizes.Average();
        StandardDeviation = Sizes.Count == 0 ? 0 : Math.Sqrt(Sizes.Sum(s => (s - MeanSize) * (s - MeanSize)) / Sizes.Count);
    }

    public ClientSplit Split { get; }
    public int ClientCount => Split.ClientCount;
    public int RecordCount => Split.RecordCount;
    public int AssignedCount => Split.AssignedCount;
    public IReadOnlyList<int> Sizes { get; }
    public IReadOnlyList<string> ClientNames { get; }
    public int MinSize { get; }
    public int MaxSize { get; }
    public double MeanSize { get; }

    /// <summary>Population standard deviation of the client sizes (FedLLM-Bench reports mean ± this).</summary>
    public double StandardDeviation { get; }

    /// <summary>Distinct labels in ordinal order; empty when no labels were given.</summary>
    public IReadOnlyList<string> Labels { get; }

    /// <summary>[client][label] record counts, aligned with <see cref="Labels"/>.</summary>
    public IReadOnlyList<IReadOnlyList<int>> LabelHistogram { get; }

    /// <param name="labels">Optional label of every record of the dataset (length = split.RecordCount).</param>
    public static SplitSummary Create(ClientSplit split, IReadOnlyList<string>? labels = null)
    {
        ArgumentNullException.ThrowIfNull(split);
        if (labels is null)
        {
            return new SplitSummary(split, [], [.. Enumerable.Range(0, split.ClientCount).Select(_ => Array.Empty<int>())]);
        }
        if (labels.Count != split.RecordCount)
        {
            throw new ArgumentException($"{labels.Count} labels for a split over {split.RecordCount} records.", nameof(labels));
        }
        string[] distinct = [.. labels.Select((l, i) => l ?? throw new ArgumentException($"Record {i} has no label (null).", nameof(labels)))
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
        var column = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < distinct.Length; i++)
        {
            column[distinct[i]] = i;
        }
        var histogram = new int[split.ClientCount][];
        for (int client = 0; client < split.ClientCount; client++)
        {
            histogram[client] = new int[distinct.Length];
            foreach (int record in split.RecordsOf(client))
            {
                histogram[client][column[labels[record]]]++;
            }
        }
        return new SplitSummary(split, distinct, histogram);
    }
}
