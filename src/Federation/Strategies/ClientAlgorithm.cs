using System.Numerics.Tensors;

namespace FedLlm.Federation.Strategies;

/// <summary>
/// Client-side FedProx math for the local trainer. The trainer may call these per LoRA tensor on matching slices of the
/// flat vectors; the sums are additive over slices. μ = 0 turns both helpers into no-ops.
/// </summary>
public sealed class ClientAlgorithm
{
    public ClientAlgorithm(double proximalMu = 0.0)
    {
        if (!(proximalMu >= 0) || double.IsInfinity(proximalMu))
        {
            throw new ArgumentOutOfRangeException(nameof(proximalMu), proximalMu, "FedProx mu must be a finite number >= 0.");
        }
        ProximalMu = proximalMu;
    }

    /// <summary>The client algorithm a round plan asks for.</summary>
    public static ClientAlgorithm FromPlan(RoundPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return new ClientAlgorithm(plan.ProximalMu);
    }

    public double ProximalMu { get; }

    public bool UsesProximalTerm => ProximalMu > 0;

    /// <summary>(μ/2)·‖w − w_g‖², accumulated in double.</summary>
    public double ProximalLoss(ReadOnlySpan<float> weights, ReadOnlySpan<float> globalWeights)
    {
        RequireSameLength(weights, globalWeights);
        if (!UsesProximalTerm)
        {
            return 0.0;
        }
        double sum = 0.0;
        for (int j = 0; j < weights.Length; j++)
        {
            double d = (double)weights[j] - globalWeights[j];
            sum += d * d;
        }
        return 0.5 * ProximalMu * sum;
    }

    /// <summary>grad += μ·(w − w_g): the gradient of <see cref="ProximalLoss"/>.</summary>
    public void AddProximalGradient(Span<float> gradient, ReadOnlySpan<float> weights, ReadOnlySpan<float> globalWeights)
    {
        RequireSameLength(weights, globalWeights);
        if (gradient.Length != weights.Length)
        {
            throw new ArgumentException($"Gradient has {gradient.Length} values but the weights have {weights.Length}.", nameof(gradient));
        }
        if (!UsesProximalTerm)
        {
            return;
        }
        float mu = (float)ProximalMu;
        const int Chunk = 4096;
        Span<float> difference = stackalloc float[Math.Min(Chunk, weights.Length)];
        for (int start = 0; start < weights.Length; start += Chunk)
        {
            int length = Math.Min(Chunk, weights.Length - start);
            Span<float> d = difference[..length];
            TensorPrimitives.Subtract(weights.Slice(start, length), globalWeights.Slice(start, length), d);
            TensorPrimitives.MultiplyAdd(d, mu, gradient.Slice(start, length), gradient.Slice(start, length));
        }
    }

    private static void RequireSameLength(ReadOnlySpan<float> weights, ReadOnlySpan<float> globalWeights)
    {
        if (weights.Length != globalWeights.Length)
        {
            throw new ArgumentException($"Weights have {weights.Length} values but the global weights have {globalWeights.Length}.", nameof(globalWeights));
        }
    }
}
