using static TorchSharp.torch;

namespace FedLlm.Training.Hooks;

/// <summary>
/// Extension points federated algorithms and privacy mechanisms need from a local trainer, without the trainer
/// knowing about federation: an extra loss term (FedProx), a correction after each optimiser step (SCAFFOLD),
/// and control over how gradients are formed (DP-SGD).
/// </summary>
public interface ITrainingHooks
{
    /// <summary>An extra scalar loss on the trainable tensors (e.g. μ/2·‖w − w_g‖²), or null.</summary>
    Tensor? ExtraLoss(IReadOnlyList<Tensor> trainable) => null;

    /// <summary>Runs after each optimiser step with the learning rate that step used (e.g. w −= lr·(c − c_i)).</summary>
    void AfterOptimizerStep(IReadOnlyList<Tensor> trainable, double learningRate) { }
}

/// <summary>Hooks that do nothing.</summary>
public sealed class NoHooks : ITrainingHooks
{
    public static readonly NoHooks Instance = new();
}
