using FedLlm.Federation.Strategies;

namespace FedLlm.Federation.Robust;

/// <summary>
/// Residual-based reweighting (Fu, Xie, Li, Chen 2019, "Attack-Resistant Federated Learning with Residual-based
/// Reweighting", arXiv:1912.11464; formulas as in the authors' code). Per coordinate, the K values sorted are
/// regressed on their rank r = 0…K−1 with Siegel's repeated median (slope = med_i med_{j≠i} (y_j − y_i)/(j − i),
/// intercept = med y − slope·(K−1)/2). Residuals e = (y − ŷ)/τ with τ = 1.4826·(1 + 5/(K−1))·M + 1e-7, M the median
/// of the K−1 largest |residuals|; leverage h_r = 1/K + (r − r̄)²/Σ(r − r̄)². The IRLS weight is Huber's:
/// ω = 1 when |e|/√(1−h) ≤ Z, else Z·√(1−h)/|e|, with Z = λ·√(2/K). A value whose ω is below the threshold δ is
/// replaced by its fitted ŷ. A client's score sums ω·std(ω of the coordinate) over coordinates; its weight is
/// (score / max score)², and the new global is the weighted mean of the (partly replaced) client vectors.
/// The safety study (Ye et al., ICLR 2025) used λ = 2, δ = 0.05. Everything is translation-equivariant, so
/// w_i give the same result as Δ_i. Needs K ≥ 3 (with 2, both points have leverage 1).
/// </summary>
public sealed class ResidualReweightingAggregator : RobustAggregator
{
    public ResidualReweightingAggregator(double lambda = 2.0, double threshold = 0.05)
    {
        if (!(lambda > 0) || double.IsInfinity(lambda)) throw new ArgumentOutOfRangeException(nameof(lambda), lambda, "λ must be finite and > 0.");
        if (!(threshold >= 0 && threshold < 1)) throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "δ must be in [0, 1).");
        Lambda = lambda;
        Threshold = threshold;
    }

    /// <summary>λ: Huber's threshold is λ·√(2/K).</summary>
    public double Lambda { get; }

    /// <summary>δ: values weighted below it are replaced by the regression line.</summary>
    public double Threshold { get; }

    public override string Rule => RobustRules.Residual;

    public override int MinimumUpdates => 3;

    protected override RobustAggregation AggregateCore(int round, float[] global, IReadOnlyList<ClientUpdate> updates)
    {
        int k = updates.Count;
        float[][] rows = RowsOf(updates);
        double[][] scoresPerStripe = ColumnScan.Accumulators<double>(global.Length, k);
        long[][] replacedPerStripe = ColumnScan.Accumulators<long>(global.Length, k);
        // Copies are made only for clients that have a replaced value: at most one extra K×P, usually far less.
        var restricted = new float[k][];
        ColumnScan.ForEach(rows, global.Length, () => new ColumnFit(k, Lambda), (fit, stripe, j, values, owners) =>
        {
            values.Sort(owners);
            double spread = fit.Weigh(values);
            double[] stripeScores = scoresPerStripe[stripe];
            for (int r = 0; r < k; r++)
            {
                int client = owners[r];
                stripeScores[client] += fit.Weights[r] * spread;
                if (fit.Weights[r] < Threshold)
                {
                    // Workers may race to copy the same client: the first copy wins, and each writes only its own coordinates.
                    float[] copy = Volatile.Read(ref restricted[client])
                        ?? Interlocked.CompareExchange(ref restricted[client], (float[])rows[client].Clone(), null)
                        ?? restricted[client];
                    copy[j] = (float)fit.Line(r);
                    replacedPerStripe[stripe][client]++;
                }
            }
        });
        double[] scores = ColumnScan.Sum(scoresPerStripe, k);
        long[] replacedCount = ColumnScan.Sum(replacedPerStripe, k);
        double top = scores.Max();
        // With no coordinate down-weighting anyone, every score is 0: nobody stands out, so all count the same.
        double[] weights = [.. scores.Select(s => top > 0 ? (s / top) * (s / top) : 1.0)];
        float[][] used = [.. Enumerable.Range(0, k).Select(i => restricted[i] ?? rows[i])];
        float[] next = AggregationMath.WeightedMeanRoundedToSingle(used, weights, global.Length);
        double[] replacedShare = [.. replacedCount.Select(c => global.Length == 0 ? 0.0 : (double)c / global.Length)];
        var decision = new RobustDecision(Rule, IdsOf(updates))
        {
            Weights = ByClient(updates, weights),
            PerClient = new Dictionary<string, IReadOnlyDictionary<int, double>> { ["replaced_share"] = ByClient(updates, replacedShare) },
        };
        return RobustAggregation.Estimate(updates, next, decision);
    }

    /// <summary>The per-coordinate regression with its scratch buffers, reused across coordinates.</summary>
    private sealed class ColumnFit
    {
        private readonly int _k;
        private readonly double _huber;
        private readonly double[] _leverageRoot;
        private readonly double[] _slopes;
        private readonly double[] _reciprocal;
        private readonly double[] _row;
        private readonly double[] _rowMedians;
        private readonly double[] _absolute;
        private double _intercept;
        private double _slope;

        public ColumnFit(int k, double lambda)
        {
            _k = k;
            _huber = lambda * Math.Sqrt(2.0 / k);
            double centre = (k - 1) / 2.0;
            double spread = k * ((double)k * k - 1) / 12.0; // Σ (r − r̄)² over r = 0…K−1
            _leverageRoot = [.. Enumerable.Range(0, k).Select(r => Math.Sqrt(1 - (1.0 / k + (r - centre) * (r - centre) / spread)))];
            _slopes = new double[k * k];
            // 1/(j − i) once: K² divisions per coordinate would cost more than the rest of the fit.
            _reciprocal = [.. Enumerable.Range(0, k).Select(d => d == 0 ? 0.0 : 1.0 / d)];
            _row = new double[k - 1];
            _rowMedians = new double[k];
            _absolute = new double[k];
            Weights = new double[k];
        }

        /// <summary>ω by rank after <see cref="Weigh"/>.</summary>
        public double[] Weights { get; }

        public double Line(int rank) => _intercept + _slope * rank;

        /// <summary>Fits the sorted column, fills <see cref="Weights"/> and returns their sample standard deviation.</summary>
        public double Weigh(ReadOnlySpan<float> sorted)
        {
            FitRepeatedMedian(sorted);
            int smallest = 0;
            for (int r = 0; r < _k; r++)
            {
                _absolute[r] = Math.Abs(sorted[r] - Line(r));
                if (_absolute[r] < _absolute[smallest]) smallest = r;
            }
            // M is the median of the K − 1 largest absolute residuals: move the smallest out of the way.
            (_absolute[0], _absolute[smallest]) = (_absolute[smallest], _absolute[0]);
            double scale = 1.4826 * (1 + 5.0 / (_k - 1)) * OrderStatistics.Median(_absolute.AsSpan(1)) + 1e-7;
            double mean = 0;
            for (int r = 0; r < _k; r++)
            {
                double e = (sorted[r] - Line(r)) / scale;
                double root = _leverageRoot[r];
                Weights[r] = e == 0 || Math.Abs(e) / root <= _huber ? 1.0 : _huber * root / Math.Abs(e);
                mean += Weights[r];
            }
            mean /= _k;
            double variance = 0;
            for (int r = 0; r < _k; r++) variance += (Weights[r] - mean) * (Weights[r] - mean);
            return Math.Sqrt(variance / (_k - 1));
        }

        private void FitRepeatedMedian(ReadOnlySpan<float> sorted)
        {
            for (int i = 0; i < _k; i++)
            {
                for (int j = i + 1; j < _k; j++)
                {
                    _slopes[i * _k + j] = _slopes[j * _k + i] = ((double)sorted[j] - sorted[i]) * _reciprocal[j - i];
                }
            }
            for (int i = 0; i < _k; i++)
            {
                int filled = 0;
                for (int j = 0; j < _k; j++)
                {
                    if (j != i) _row[filled++] = _slopes[i * _k + j];
                }
                _rowMedians[i] = OrderStatistics.Median(_row);
            }
            _slope = OrderStatistics.Median(_rowMedians);
            _intercept = OrderStatistics.MedianOfSorted(sorted) - _slope * (_k - 1) / 2.0;
        }
    }
}
