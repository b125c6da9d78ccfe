using FedLlm.Federation.Strategies;
using FedLlm.Foundation.Randomness;

namespace FedLlm.Federation.Robust;

/// <summary>
/// Divide-and-Conquer (Shejwalkar and Houmansadr, NDSS 2021, "Manipulating the Byzantine: Optimizing Model Poisoning
/// Attacks and Defenses for Federated Learning", Algorithm 2). Each of <c>niters</c> iterations samples b coordinates
/// without replacement, centres the K sub-vectors on their mean, finds the top right singular vector v of the centred
/// K×b matrix, scores each client by its squared projection ⟨x_i − μ, v⟩², and keeps the K − ⌊c·f⌋ lowest scores;
/// the clients kept in every iteration go to the strategy. Centring makes w_i and Δ_i give the same scores.
/// Defaults are those of the safety study (Ye et al., ICLR 2025): niters 1, c 1, b 10,000.
/// </summary>
public sealed class DivideAndConquerAggregator : RobustAggregator
{
    /// <summary>Purpose label of the coordinate sampling stream, seeded from (run seed, round).</summary>
    public const string RandomPurpose = "robust-dnc";

    private const int MaxPowerIterations = 1000;

    private readonly ulong _runSeed;

    public DivideAndConquerAggregator(int f, ulong runSeed, int iterations = 1, double filterFactor = 1.0, int sampledDimensions = 10_000)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(f);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(iterations);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sampledDimensions);
        if (!(filterFactor > 0) || double.IsInfinity(filterFactor))
            throw new ArgumentOutOfRangeException(nameof(filterFactor), filterFactor, "c must be finite and > 0.");
        F = f;
        Iterations = iterations;
        FilterFactor = filterFactor;
        SampledDimensions = sampledDimensions;
        _runSeed = runSeed;
    }

    public int F { get; }

    public int Iterations { get; }

    /// <summary>c: each iteration removes ⌊c·f⌋ clients.</summary>
    public double FilterFactor { get; }

    /// <summary>b: coordinates sampled per iteration (all of them when the model is smaller).</summary>
    public int SampledDimensions { get; }

    public int Removed => RemovedFor(F, FilterFactor);

    public static int RemovedFor(int f, double filterFactor) => (int)Math.Floor(filterFactor * f);

    public override string Rule => RobustRules.Dnc;

    public override int MinimumUpdates => Removed + 1;

    protected override RobustAggregation AggregateCore(int round, float[] global, IReadOnlyList<ClientUpdate> updates)
    {
        int n = updates.Count;
        var random = Xoshiro256StarStar.ForPurpose(_runSeed, RandomPurpose, round);
        var keptEverywhere = new bool[n];
        Array.Fill(keptEverywhere, true);
        var totalScores = new double[n];
        for (int iteration = 0; iteration < Iterations; iteration++)
        {
            int[] coordinates = SampleCoordinates(global.Length, SampledDimensions, random);
            double[] scores = OutlierScores(updates, coordinates, random);
            var good = new bool[n];
            foreach (int i in OrderStatistics.LowestIndices(scores, n - Removed)) good[i] = true;
            for (int i = 0; i < n; i++)
            {
                keptEverywhere[i] &= good[i];
                totalScores[i] += scores[i];
            }
        }
        int[] kept = [.. Enumerable.Range(0, n).Where(i => keptEverywhere[i])];
        string? note = null;
        if (kept.Length == 0)
        {
            // Several iterations can disagree so that nobody is kept in all of them; fall back to the lowest summed scores.
            kept = OrderStatistics.LowestIndices(totalScores, n - Removed);
            note = "no client was kept in every iteration; kept the lowest summed scores";
        }
        var decision = new RobustDecision(Rule, IdsOf(updates))
        {
            Kept = [.. kept.Select(i => updates[i].ClientId)],
            PerClient = new Dictionary<string, IReadOnlyDictionary<int, double>> { ["dnc_score"] = ByClient(updates, totalScores) },
            Note = note,
        };
        return new RobustAggregation([.. kept.Select(i => updates[i])], decision);
    }

    /// <summary>b distinct coordinates in ascending order (Floyd's algorithm: O(b) draws, no O(P) shuffle); all when b ≥ P.</summary>
    internal static int[] SampleCoordinates(int length, int count, Xoshiro256StarStar random)
    {
        if (count >= length) return [.. Enumerable.Range(0, length)];
        var chosen = new HashSet<int>(count);
        for (int j = length - count; j < length; j++)
        {
            int t = random.NextInt(j + 1);
            chosen.Add(chosen.Contains(t) ? j : t);
        }
        int[] result = [.. chosen];
        Array.Sort(result);
        return result;
    }

    /// <summary>⟨x_i − μ, v⟩² on the sampled coordinates, v the top right singular vector of the centred matrix.</summary>
    private static double[] OutlierScores(IReadOnlyList<ClientUpdate> updates, int[] coordinates, Xoshiro256StarStar random)
    {
        int n = updates.Count;
        int b = coordinates.Length;
        var centred = new double[n][];
        var mean = new double[b];
        for (int i = 0; i < n; i++)
        {
            float[] w = updates[i].Weights;
            var row = centred[i] = new double[b];
            for (int t = 0; t < b; t++)
            {
                row[t] = w[coordinates[t]];
                mean[t] += row[t];
            }
        }
        for (int t = 0; t < b; t++) mean[t] /= n;
        foreach (double[] row in centred)
        {
            for (int t = 0; t < b; t++) row[t] -= mean[t];
        }
        double[] u = TopEigenvector(Gram(centred), random);
        // v = Xᵀu/‖Xᵀu‖; then ⟨x_i, v⟩ = (X v)_i.
        var v = new double[b];
        for (int i = 0; i < n; i++)
        {
            for (int t = 0; t < b; t++) v[t] += u[i] * centred[i][t];
        }
        double norm = Math.Sqrt(v.Sum(x => x * x));
        var scores = new double[n];
        if (norm == 0) return scores; // all sub-vectors equal: nobody is an outlier
        for (int i = 0; i < n; i++)
        {
            double projection = 0;
            for (int t = 0; t < b; t++) projection += centred[i][t] * v[t];
            projection /= norm;
            scores[i] = projection * projection;
        }
        return scores;
    }

    /// <summary>G = X Xᵀ (K×K): the top eigenvector of G is the top left singular vector of X, found on a K-sized problem.</summary>
    private static double[,] Gram(double[][] rows)
    {
        int n = rows.Length;
        var gram = new double[n, n];
        for (int i = 0; i < n; i++)
        {
            for (int j = i; j < n; j++)
            {
                double dot = 0;
                for (int t = 0; t < rows[i].Length; t++) dot += rows[i][t] * rows[j][t];
                gram[i, j] = gram[j, i] = dot;
            }
        }
        return gram;
    }

    /// <summary>
    /// Power iteration on the symmetric PSD matrix G from a seeded Gaussian start (a fixed start such as all-ones can
    /// be orthogonal to the answer: the centred rows sum to zero). Stops when the direction changes by &lt; 1e-12.
    /// </summary>
    internal static double[] TopEigenvector(double[,] gram, Xoshiro256StarStar random)
    {
        int n = gram.GetLength(0);
        var u = new double[n];
        for (int i = 0; i < n; i++) u[i] = random.NextGaussian();
        Normalize(u);
        var next = new double[n];
        for (int step = 0; step < MaxPowerIterations; step++)
        {
            for (int i = 0; i < n; i++)
            {
                double sum = 0;
                for (int j = 0; j < n; j++) sum += gram[i, j] * u[j];
                next[i] = sum;
            }
            if (!Normalize(next)) return next; // G u = 0: the matrix is zero, every direction scores 0
            double change = 0;
            for (int i = 0; i < n; i++) change = Math.Max(change, Math.Abs(next[i] - u[i]));
            (u, next) = (next, u);
            if (change < 1e-12) break;
        }
        return u;
    }

    private static bool Normalize(double[] vector)
    {
        double norm = Math.Sqrt(vector.Sum(x => x * x));
        if (norm == 0) return false;
        for (int i = 0; i < vector.Length; i++) vector[i] /= norm;
        return true;
    }
}
