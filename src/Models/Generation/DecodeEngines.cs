using FedLlm.Models.Generation.Fused;
using FedLlm.Models.Llama;
using FedLlm.Models.Lora;

namespace FedLlm.Models.Generation;

/// <summary>
/// The one place that picks a decode engine: the fused C# kernels (<see cref="FusedDecodeEngine"/>) for one or a few
/// sequences on a model they compute exactly, libtorch (<see cref="TorchDecodeEngine"/>) for everything else: larger
/// batches, adapter banks, and model features the kernels do not cover.
/// </summary>
public static class DecodeEngines
{
    public static IDecodeEngine Create(CausalLm model, int maxSequences, int? context = null, AdapterBank? adapters = null)
    {
        bool fused = maxSequences <= FusedDecodeEngine.MaxBatch
                     && (adapters is null || adapters.Directories.Count == 0)
                     && FusedDecodeEngine.Unsupported(model) is null;
        return fused ? new FusedDecodeEngine(model, maxSequences, context) : new TorchDecodeEngine(model, maxSequences, context, adapters);
    }
}
