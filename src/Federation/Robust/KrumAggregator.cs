using FedLlm.Federation.Strategies;

namespace FedLlm.Federation.Robust;

/// <summary>
/// Krum and Multi-Krum (Blanchard, El Mhamdi, Guerraoui, Stainer, NeurIPS 2017, "Machine Learning with Adversaries:
/// Byzantine Tolerant Gradient Descent"). Client i's score is the sum of squared distances ‖w_i − w_j‖² to its
/// n − f − 2 nearest other updates; Krum keeps the update with the lowest score, Multi-Krum the m lowest (default
/// n − f), which the strategy then averages as usual. Distances between w_i equal those between Δ_i (w cancels).
/// Needs n > 2f + 2. Ties go to the update listed first.
/// </summary>
public sealed class KrumAggregator : RobustAggregator
{
    private KrumAggregator(int f, int? keep, bool multi)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(f);
        if (keep is int m) ArgumentOutOfRangeException.ThrowIfNegativeOrZero(m, nameof(keep));
        F = f;
        Keep = keep;
        IsMulti = multi;
    }

    /// <summary>Krum: keeps the one update with the lowest score.</summary>
    /// <param name="f">Malicious clients assumed per round.</param>
    public static KrumAggregator Krum(int f) => new(f, 1, multi: false);

    /// <summary>Multi-Krum: keeps the <paramref name="keep"/> lowest-scored updates (null: n − f).</summary>
    public static KrumAggregator MultiKrum(int f, int? keep = null) => new(f, keep, multi: true);

    public int F { get; }

    /// <summary>Multi-Krum's m when set; otherwise n − f (Multi-Krum) or 1 (Krum).</summary>
    public int? Keep { get; }

    public bool IsMulti { get; }

    public override string Rule => IsMulti ? RobustRules.MultiKrum : RobustRules.Krum;

    public override int MinimumUpdates => Math.Max(2 * F + 3, Keep is int m ? m + (IsMulti ? F : 0) : 0);

    protected override RobustAggregation AggregateCore(int round, float[] global, IReadOnlyList<ClientUpdate> updates)
    {
        int n = updates.Count;
        double[,] distances = SquaredDistances(RowsOf(updates));
        int[] everyone = [.. Enumerable.Range(0, n)];
        double[] scores = Scores(distances, everyone, F);
        int keep = Keep ?? n - F;
        int[] chosen = OrderStatistics.LowestIndices(scores, keep);
        var decision = new RobustDecision(Rule, IdsOf(updates))
        {
            Kept = [.. chosen.Select(i => updates[i].ClientId)],
            PerClient = new Dictionary<string, IReadOnlyDictionary<int, double>> { ["krum_score"] = ByClient(updates, scores) },
        };
        return new RobustAggregation([.. chosen.Select(i => updates[i])], decision);
    }

    /// <summary>All pairwise ‖w_i − w_j‖², symmetric with a zero diagonal.</summary>
    internal static double[,] SquaredDistances(IReadOnlyList<float[]> rows)
    {
        int n = rows.Count;
        var distances = new double[n, n];
        // Each pair is computed once, by one worker, into its own cells: the matrix is the same however many threads ran.
        Parallel.For(0, n * n, pair =>
        {
            int i = pair / n, j = pair % n;
            if (j > i) distances[i, j] = distances[j, i] = AggregationMath.SquaredDistance(rows[i], rows[j]);
        });
        return distances;
    }

    /// <summary>
    /// Krum scores of <paramref name="candidates"/> among themselves: each one's sum of squared distances to its
    /// max(1, r − f − 2) nearest other candidates (r = candidate count). The floor of 1 neighbour (as Flower's Krum)
    /// keeps scores meaningful in Bulyan's last selection steps, where r falls to 2f + 1.
    /// </summary>
    internal static double[] Scores(double[,] distances, IReadOnlyList<int> candidates, int f)
    {
        int r = candidates.Count;
        int neighbours = Math.Min(r - 1, Math.Max(1, r - f - 2));
        var scores = new double[r];
        var row = new double[Math.Max(0, r - 1)];
        for (int a = 0; a < r; a++)
        {
            int filled = 0;
            for (int b = 0; b < r; b++)
            {
                if (b != a) row[filled++] = distances[candidates[a], candidates[b]];
            }
            Array.Sort(row);
            double sum = 0;
            for (int t = 0; t < neighbours; t++) sum += row[t];
            scores[a] = sum;
        }
        return scores;
    }
}
