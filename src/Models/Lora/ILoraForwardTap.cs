using static TorchSharp.torch;

namespace FedLlm.Models.Lora;

/// <summary>
/// Observes a <see cref="LoraLayer"/> forward pass: its (post-dropout, fp32) input and its output
/// scaling·B·A·x. Per-example gradients of A and B follow from exactly these two activations and the gradient of
/// the output, so a tap lets DP-SGD avoid one backward pass per example.
/// </summary>
public interface ILoraForwardTap
{
    /// <summary>
    /// Called inside the layer's dispose scope: <paramref name="input"/> and <paramref name="output"/> are disposed when
    /// the forward returns unless the tap detaches what it keeps. Returns the tensor the layer should output instead
    /// (e.g. <paramref name="output"/> plus a zero probe whose gradient is dL/d output).
    /// </summary>
    Tensor OnForward(LoraLayer layer, Tensor input, Tensor output);
}
