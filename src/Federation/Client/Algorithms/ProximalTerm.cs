using TorchSharp;
using FedLlm.Models;
using FedLlm.Training.Hooks;
using static TorchSharp.torch;

namespace FedLlm.Federation.Client.Algorithms;

/// <summary>
/// FedProx's client side (Li et al. 2020): every step's loss gains (μ/2)·‖w − w_g‖² over the trainable LoRA tensors,
/// with w_g the round's global, so local training is pulled back towards it. OpenFedLLM adds it every micro-batch; one
/// term per optimiser step has the same gradient because the step's loss is a mean.
/// </summary>
public sealed class ProximalTerm : ITrainingHooks, IDisposable
{
    private readonly double _mu;
    private readonly float[] _global;
    private List<Tensor>? _globalSlices;

    public ProximalTerm(float[] global, double mu)
    {
        ArgumentNullException.ThrowIfNull(global);
        if (!(mu > 0) || double.IsInfinity(mu)) throw new ArgumentOutOfRangeException(nameof(mu), mu, "μ must be a finite number > 0");
        _global = global;
        _mu = mu;
    }

    public Tensor? ExtraLoss(IReadOnlyList<Tensor> trainable)
    {
        _globalSlices ??= TensorSlices.Of(_global, trainable);
        Tensor? sum = null;
        for (int i = 0; i < trainable.Count; i++)
        {
            var term = trainable[i].Minus(_globalSlices[i]).square().sum();
            sum = sum is null ? term : sum.Plus(term);
        }
        using var halfMu = (_mu / 2).ToScalar(); // explicit, not implicit: see RootedScalars
        return sum!.mul(halfMu);
    }

    public void Dispose()
    {
        foreach (var slice in _globalSlices ?? []) slice.Dispose();
    }
}
