using System.Numerics.Tensors;
using FedLlm.Federation.Strategies;

namespace FedLlm.Federation.Robust;

/// <summary>
/// FoolsGold (Fung, Yoon, Beschastnikh, RAID 2020, "The Limitations of Federated Learning in Sybil Settings",
/// Algorithm 1). Sybils pushing one goal send similar updates round after round, so each client's history
/// H_i = Σ_rounds Δ_i is kept across rounds and this round's clients are compared by cosine similarity of H:
/// v_i = max_j cs_ij; pardoning cs_ij ← cs_ij·v_i/v_j when v_j &gt; v_i; α_i = 1 − max_j cs_ij clipped to [0, 1];
/// α ← α / max α; α = 1 becomes 0.99; α_i ← κ(ln(α_i/(1 − α_i)) + 0.5) clipped to [0, 1]. The new global is
/// w + Σ α_i Δ_i / Σ α_i (the normalised weighted mean; the paper's SGD setting sums weighted gradients instead).
/// When every weight is 0 (all clients look alike) the global stays where it is.
/// </summary>
public sealed class FoolsGoldAggregator : RobustAggregator
{
    private readonly SortedDictionary<int, float[]> _histories = [];

    public FoolsGoldAggregator(double kappa = 1.0)
    {
        if (!(kappa > 0) || double.IsInfinity(kappa)) throw new ArgumentOutOfRangeException(nameof(kappa), kappa, "κ must be finite and > 0.");
        Kappa = kappa;
    }

    /// <summary>κ: confidence parameter of the logit (1 in the paper's experiments).</summary>
    public double Kappa { get; }

    public override string Rule => RobustRules.FoolsGold;

    public override int MinimumUpdates => 1;

    /// <summary>H_i of every client seen so far (read-only view; for tests and diagnostics).</summary>
    public IReadOnlyDictionary<int, float[]> Histories => _histories;

    protected override RobustAggregation AggregateCore(int round, float[] global, IReadOnlyList<ClientUpdate> updates)
    {
        int n = updates.Count;
        var histories = new float[n][];
        for (int i = 0; i < n; i++)
        {
            if (!_histories.TryGetValue(updates[i].ClientId, out float[]? history))
            {
                history = _histories[updates[i].ClientId] = new float[global.Length];
            }
            else if (history.Length != global.Length)
            {
                throw new InvalidOperationException($"FoolsGold history of client {updates[i].ClientId} has {history.Length} values but the global has {global.Length}; was the state loaded from another model?");
            }
            histories[i] = history;
        }
        var norms = new double[n];
        Parallel.For(0, n, () => new float[global.Length], (i, _, delta) =>
        {
            // H_i += (w_i − w): the small delta first, so H keeps its own low-order bits (element-wise, exact per element).
            TensorPrimitives.Subtract(updates[i].Weights, global, delta);
            TensorPrimitives.Add(histories[i], delta, histories[i]);
            norms[i] = Math.Sqrt(AggregationMath.Dot(histories[i], histories[i]));
            return delta;
        }, _ => { });
        double[,] similarity = Cosines(histories, norms);
        double[] maxSimilarity = new double[n];
        double[] weights = Weights(similarity, maxSimilarity, Kappa);
        var decision = new RobustDecision(Rule, IdsOf(updates))
        {
            Weights = ByClient(updates, weights),
            PerClient = new Dictionary<string, IReadOnlyDictionary<int, double>> { ["max_cosine"] = ByClient(updates, maxSimilarity) },
        };
        if (weights.All(w => w == 0))
        {
            return RobustAggregation.Estimate(updates, (float[])global.Clone(), decision with { Note = "every FoolsGold weight is 0; the global is unchanged" });
        }
        float[] next = AggregationMath.WeightedMeanRoundedToSingle(RowsOf(updates), weights, global.Length);
        return RobustAggregation.Estimate(updates, next, decision);
    }

    /// <summary>cs_ij of the histories, with 0 on the diagonal and for a zero history.</summary>
    private static double[,] Cosines(float[][] histories, double[] norms)
    {
        int n = histories.Length;
        var cs = new double[n, n];
        Parallel.For(0, n * n, pair =>
        {
            int i = pair / n, j = pair % n;
            if (j <= i) return;
            double denominator = norms[i] * norms[j];
            cs[i, j] = cs[j, i] = denominator == 0 ? 0 : AggregationMath.Dot(histories[i], histories[j]) / denominator;
        });
        return cs;
    }

    /// <summary>
    /// Algorithm 1, lines 5–14, from the similarity matrix (zero diagonal; modified in place) to the weights α. Row
    /// maxima include the zero diagonal, as the authors' code (cosine matrix minus the identity), so v_i ≥ 0.
    /// </summary>
    internal static double[] Weights(double[,] cs, double[] maxSimilarity, double kappa)
    {
        int n = maxSimilarity.Length;
        for (int i = 0; i < n; i++) maxSimilarity[i] = RowMax(cs, i);
        // Pardoning: an honest client that resembles a more sybil-like one has that similarity scaled down.
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                if (i != j && maxSimilarity[i] < maxSimilarity[j]) cs[i, j] *= maxSimilarity[i] / maxSimilarity[j];
            }
        }
        var alpha = new double[n];
        for (int i = 0; i < n; i++) alpha[i] = Math.Clamp(1 - RowMax(cs, i), 0, 1);
        double top = alpha.Max();
        if (top == 0) return alpha;
        for (int i = 0; i < n; i++)
        {
            double a = alpha[i] / top;
            if (a == 1) a = 0.99;
            // ln(0) = −∞ clips to 0; a = 0.99 gives ln 99 + 0.5 > 1, which clips to 1.
            alpha[i] = Math.Clamp(kappa * (Math.Log(a / (1 - a)) + 0.5), 0, 1);
        }
        return alpha;
    }

    private static double RowMax(double[,] matrix, int row)
    {
        double max = double.NegativeInfinity;
        for (int j = 0; j < matrix.GetLength(1); j++) max = Math.Max(max, matrix[row, j]);
        return max;
    }

    protected override void WriteCore(BinaryWriter writer)
    {
        writer.Write(_histories.Count);
        foreach (var (clientId, history) in _histories)
        {
            writer.Write(clientId);
            StateSerialization.WriteVector(writer, history);
        }
    }

    protected override void ReadCore(BinaryReader reader)
    {
        int count = reader.ReadInt32();
        if (count < 0) throw new InvalidDataException($"Corrupt FoolsGold state: {count} histories.");
        _histories.Clear();
        for (int i = 0; i < count; i++)
        {
            int clientId = reader.ReadInt32();
            _histories[clientId] = StateSerialization.ReadSingleVector(reader, $"foolsgold.history[{clientId}]")
                ?? throw new InvalidDataException($"Corrupt FoolsGold state: client {clientId} has no history vector.");
        }
    }
}
