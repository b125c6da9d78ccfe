using System.Numerics.Tensors;
using FedLlm.Federation.Strategies;
using FedLlm.Privacy.Mechanisms;

namespace FedLlm.Federation.Robust;

/// <summary>
/// Norm bounding (Sun, Kairouz, Suresh, McMahan 2019, "Can You Really Backdoor Federated Learning?"): every update
/// Δ_i = w_i − w is scaled to ‖Δ_i‖ ≤ M before the strategy averages it. M is fixed, or k × the median update norm of
/// the round, which adapts to the model's scale without a tuned constant. Updates within the bound pass unchanged.
/// </summary>
public sealed class NormBoundAggregator : RobustAggregator
{
    private NormBoundAggregator(double? bound, double? factor)
    {
        Bound = bound;
        Factor = factor;
    }

    /// <summary>A fixed bound M.</summary>
    public static NormBoundAggregator Fixed(double bound)
    {
        if (!(bound > 0) || double.IsInfinity(bound)) throw new ArgumentOutOfRangeException(nameof(bound), bound, "The norm bound must be finite and > 0.");
        return new(bound, null);
    }

    /// <summary>M = <paramref name="factor"/> × the median ‖Δ_i‖ of each round.</summary>
    public static NormBoundAggregator RelativeToMedian(double factor)
    {
        if (!(factor > 0) || double.IsInfinity(factor)) throw new ArgumentOutOfRangeException(nameof(factor), factor, "The factor must be finite and > 0.");
        return new(null, factor);
    }

    public double? Bound { get; }

    public double? Factor { get; }

    public override string Rule => RobustRules.NormBound;

    public override int MinimumUpdates => 1;

    protected override RobustAggregation AggregateCore(int round, float[] global, IReadOnlyList<ClientUpdate> updates)
    {
        double[] norms = [.. updates.Select(u => AggregationMath.Distance(global, u.Weights))];
        double bound = Bound ?? Factor!.Value * OrderStatistics.Median([.. norms]);
        var clipped = new List<ClientUpdate>(updates.Count);
        var factors = new Dictionary<int, double>();
        for (int i = 0; i < updates.Count; i++)
        {
            // A zero median bound (most clients sent w back) leaves every non-zero update at w.
            double factor = bound > 0 ? L2Clipping.Factor(norms[i], bound) : 0.0;
            if (factor >= 1.0 || norms[i] == 0)
            {
                clipped.Add(updates[i]);
                continue;
            }
            factors[updates[i].ClientId] = factor;
            clipped.Add(new ClientUpdate(updates[i].ClientId, updates[i].SampleCount, Scaled(global, updates[i].Weights, factor), updates[i].Extras));
        }
        var decision = new RobustDecision(Rule, IdsOf(updates))
        {
            PerClient = new Dictionary<string, IReadOnlyDictionary<int, double>>
            {
                ["update_norm"] = ByClient(updates, norms),
                ["clip_factor"] = factors,
            },
            Values = new Dictionary<string, double> { ["norm_bound"] = bound },
        };
        return new RobustAggregation(clipped, decision);
    }

    /// <summary>w + s·(w_i − w), element-wise (exact per element, so vectorising changes no bits).</summary>
    private static float[] Scaled(float[] global, float[] weights, double factor)
    {
        var result = new float[global.Length];
        TensorPrimitives.Subtract(weights, global, result);
        TensorPrimitives.MultiplyAdd(result, (float)factor, global, result);
        return result;
    }
}
