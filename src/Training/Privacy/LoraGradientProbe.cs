using FedLlm.Models;
using FedLlm.Models.Lora;
using static TorchSharp.torch;

namespace FedLlm.Training.Privacy;

/// <summary>
/// A forward tap that keeps each LoRA layer's input x and adds a zero "probe" to its output, so that after one
/// backward pass probe.grad holds dL/d(output) for every example and position. Owns what it keeps.
/// </summary>
internal sealed class LoraGradientProbe : ILoraForwardTap, IDisposable
{
    private readonly Dictionary<LoraLayer, (Tensor Input, Tensor Probe)> _captures = [];

    public Tensor OnForward(LoraLayer layer, Tensor input, Tensor output)
    {
        if (_captures.ContainsKey(layer))
            throw new InvalidOperationException("a LoRA layer ran twice in one forward pass; per-example gradients need exactly one call per layer");
        var kept = input.detach().DetachFromDisposeScope();
        var probe = zeros_like(output, requires_grad: true).DetachFromDisposeScope();
        _captures[layer] = (kept, probe);
        return output.Plus(probe);
    }

    /// <summary>The layer's input and dL/d(output) of the last forward/backward, or null when the layer did not run.</summary>
    public (Tensor Input, Tensor OutputGrad)? Get(LoraLayer layer) =>
        _captures.TryGetValue(layer, out var c) && c.Probe.grad is { } grad ? (c.Input, grad) : null;

    public void Dispose()
    {
        foreach (var (input, probe) in _captures.Values)
        {
            input.Dispose();
            probe.Dispose();
        }
        _captures.Clear();
    }
}
