using FedLlm.Foundation.Configuration;
using static TorchSharp.torch;

namespace FedLlm.Models;

/// <summary>
/// The dtypes base weights may have in memory (<c>model.dtype</c>, <c>--dtype</c>): fp32 or bf16. Never fp16 on a CPU:
/// its narrow range overflows activations and CPUs have no fast fp16 kernels. Adapters and optimiser state stay fp32.
/// </summary>
public static class WeightDtypes
{
    public static readonly NamedValues<ScalarType> Names = new(("float32", ScalarType.Float32), ("bfloat16", ScalarType.BFloat16));
}
