using FedLlm.Foundation.Randomness;

namespace FedLlm.Federation.Splits;

/// <summary>
/// Label-skew split (Hsu et al. 2019 "LDA" partition): for every label, proportions p ~ Dir(α, …, α) over the clients
/// and that label's shuffled records are cut by the cumulative proportions. Small α concentrates each label on few
/// clients; large α approaches IID. When a client ends up with fewer than <c>minPerClient</c> records the whole draw is
/// repeated (the generator continues, so it stays deterministic) up to <c>maxAttempts</c> times, then a clear error
/// suggests raising α or lowering the minimum.
/// </summary>
public static class DirichletLabelSplitter
{
    public const string RandomPurpose = "split-dirichlet";

    /// <param name="labels">One label (category, language, ...) per record; null is not allowed.</param>
    public static ClientSplit Split(
        IReadOnlyList<string> labels, int clients, double alpha, ulong seed, int minPerClient = 1, int maxAttempts = 1000)
    {
        ArgumentNullException.ThrowIfNull(labels);
        SplitArguments.RequirePositive(alpha, nameof(alpha));
        SplitArguments.RequireClients(clients, labels.Count, minPerClient);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxAttempts);
        var byLabel = new SortedDictionary<string, List<int>>(StringComparer.Ordinal);
        for (int i = 0; i < labels.Count; i++)
        {
            string label = labels[i] ?? throw new ArgumentException($"Record {i} has no label (null).", nameof(labels));
            if (!byLabel.TryGetValue(label, out List<int>? members))
            {
                byLabel[label] = members = [];
            }
            members.Add(i);
        }
        var rng = Xoshiro256StarStar.ForPurpose(seed, RandomPurpose);
        var proportions = new double[clients];
        for (int attempt = 1; attempt <= maxAttempts; attempt++)
        {
            var assignment = new List<int>[clients];
            for (int c = 0; c < clients; c++)
            {
                assignment[c] = [];
            }
            foreach (List<int> members in byLabel.Values)
            {
                int[] shuffled = [.. members];
                rng.Shuffle(shuffled.AsSpan());
                rng.NextDirichlet(alpha, proportions);
                int[] counts = SplitArguments.Apportion(proportions, shuffled.Length);
                int start = 0;
                for (int c = 0; c < clients; c++)
                {
                    assignment[c].AddRange(shuffled.AsSpan(start, counts[c]));
                    start += counts[c];
                }
            }
            if (assignment.Min(a => a.Count) >= minPerClient)
            {
                var parameters = new Dictionary<string, string>
                {
                    ["alpha"] = SplitArguments.Format(alpha),
                    ["minPerClient"] = SplitArguments.Format(minPerClient),
                    ["attempts"] = SplitArguments.Format(attempt),
                };
                return new ClientSplit(SplitMethods.DirichletLabel, labels.Count, assignment, seed, parameters: parameters);
            }
        }
        throw new InvalidOperationException(
            $"Dirichlet split with alpha {SplitArguments.Format(alpha)} left some of the {clients} clients with fewer than {minPerClient} records " +
            $"in all {maxAttempts} attempts; raise alpha, lower the minimum per client, or use fewer clients.");
    }
}
