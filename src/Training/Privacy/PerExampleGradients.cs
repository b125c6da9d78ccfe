using FedLlm.Models;
using FedLlm.Models.Lora;
using FedLlm.Privacy.Mechanisms;
using FedLlm.Training.Examples;
using static TorchSharp.torch;

namespace FedLlm.Training.Privacy;

/// <summary>
/// Per-example gradients of every LoRA tensor from ONE forward/backward pass. For a layer y = s·B·A·x with input
/// x_t [in] and output gradient g_t [out] at position t of one example:
/// ∂L/∂B = s·Σ_t g_t ⊗ (A x_t) and ∂L/∂A = s·Σ_t (Bᵀ g_t) ⊗ x_t, computed for the whole batch with batched matmuls.
/// The loss of an example is its mean labelled-token loss (<see cref="PerExampleLoss"/>), so the gradients do not depend
/// on the other examples. Right padding and the causal mask keep padded positions from influencing real ones.
/// </summary>
/// <remarks>
/// LoRA dropout may stay on: the tap records the post-dropout input, so the formula is exact for the mask drawn.
/// Gradients are fp32. Tensors are owned by this object: dispose it.
/// </remarks>
public sealed class PerExampleGradients : IDisposable
{
    // After scaling in float the norm may exceed C by a few ulp; shrinking clipped examples by this much keeps ‖g‖ ≤ C.
    private const double ClipSafety = 1e-6;

    private readonly List<Tensor> _gradients;

    private PerExampleGradients(List<Tensor> gradients, float[] losses)
    {
        _gradients = gradients;
        Losses = losses;
    }

    /// <summary>One [batch, ...shape] tensor per adapter parameter, in <see cref="LoraAdapterSet.Parameters"/> order.</summary>
    public IReadOnlyList<Tensor> Gradients => _gradients;

    /// <summary>Each example's loss (mean over its labelled tokens).</summary>
    public IReadOnlyList<float> Losses { get; }

    public int BatchSize => Losses.Count;

    public static PerExampleGradients Compute(LoraAdapterSet adapters, IReadOnlyList<TokenizedExample> batch, int padId)
    {
        ArgumentNullException.ThrowIfNull(adapters);
        if (batch.Count == 0) throw new ArgumentException("per-example gradients need at least one example");
        var parameters = adapters.Parameters.Select(p => p.Parameter).ToList();
        var requiresGrad = parameters.Select(p => p.requires_grad).ToList();
        using var probe = new LoraGradientProbe();
        using var scope = NewDisposeScope();
        float[] losses;
        try
        {
            // Only the probes need gradients: the backward pass then skips the (summed) weight gradients entirely.
            foreach (var p in parameters) p.requires_grad = false;
            foreach (var (_, layer) in adapters.Layers) layer.Tap = probe;
            var (inputs, labels) = BatchCollator.Collate(batch, padId);
            var perExample = PerExampleLoss.Compute(adapters.Model, inputs, labels);
            losses = perExample.detach().data<float>().ToArray();
            if (perExample.requires_grad) perExample.sum().backward();
        }
        finally
        {
            foreach (var (_, layer) in adapters.Layers) layer.Tap = null;
            for (int i = 0; i < parameters.Count; i++) parameters[i].requires_grad = requiresGrad[i];
        }

        var gradients = new List<Tensor>(parameters.Count);
        using (no_grad())
        {
            foreach (var (_, layer) in adapters.Layers)
            {
                var a = layer.A.Weight;
                var b = layer.B.Weight;
                if (probe.Get(layer) is not { } captured)
                {
                    gradients.Add(zeros([batch.Count, .. a.shape]).MoveToOuterDisposeScope());
                    gradients.Add(zeros([batch.Count, .. b.shape]).MoveToOuterDisposeScope());
                    continue;
                }
                var (x, g) = captured;
                var x3 = x.reshape(batch.Count, -1, x.shape[^1]);
                var g3 = g.reshape(batch.Count, -1, g.shape[^1]);
                var h = x3.matmul(a.t());                                   // [b, t, r] = A x_t
                var gradB = g3.transpose(1, 2).bmm(h).mul_(layer.Scaling); // [b, out, r]
                var gradA = g3.matmul(b).transpose(1, 2).bmm(x3).mul_(layer.Scaling); // [b, r, in]
                gradients.Add(gradA.MoveToOuterDisposeScope());
                gradients.Add(gradB.MoveToOuterDisposeScope());
            }
        }
        return new PerExampleGradients(gradients, losses);
    }

    /// <summary>‖g_i‖₂ over all tensors jointly, accumulated in double.</summary>
    public double[] Norms()
    {
        using var scope = NewDisposeScope();
        var squares = zeros(BatchSize, dtype: ScalarType.Float64);
        foreach (var g in _gradients)
            squares.PlusInPlace(g.to(ScalarType.Float64).square().reshape(BatchSize, -1).sum(1));
        return squares.sqrt().data<double>().ToArray();
    }

    /// <summary>Scales each example's gradient to norm ≤ <paramref name="maxNorm"/>; returns the factors applied (1 = untouched).</summary>
    public double[] Clip(double maxNorm)
    {
        var norms = Norms();
        var factors = new double[norms.Length];
        DpSgd.ComputeClipFactors(norms, maxNorm, factors);
        for (int i = 0; i < factors.Length; i++)
            if (factors[i] < 1.0) factors[i] *= 1.0 - ClipSafety;
        if (factors.All(f => f == 1.0)) return factors;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var scale = tensor(factors.Select(f => (float)f).ToArray());
        foreach (var g in _gradients)
        {
            var shape = new long[g.dim()];
            Array.Fill(shape, 1L);
            shape[0] = BatchSize;
            g.mul_(scale.view(shape));
        }
        return factors;
    }

    /// <summary>sums[k] += Σ_i gradient_k[i].</summary>
    public void AddSumTo(IReadOnlyList<Tensor> sums)
    {
        if (sums.Count != _gradients.Count) throw new ArgumentException($"{sums.Count} sum tensors for {_gradients.Count} gradients");
        using var noGrad = no_grad();
        for (int k = 0; k < sums.Count; k++)
        {
            using var total = _gradients[k].sum(0L); // 0L: a literal 0 would bind to the ScalarType overload
            sums[k].PlusInPlace(total);
        }
    }

    public void Dispose()
    {
        foreach (var g in _gradients) g.Dispose();
        _gradients.Clear();
    }
}
