using FedLlm.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FedLlm.Models.Llama;

/// <summary>
/// A linear projection with Hugging Face's parameter names (<c>weight</c> [out, in], optional <c>bias</c>) and an
/// optional additive adapter (LoRA) whose output is added to the base projection.
/// </summary>
public sealed class Projection : nn.Module<Tensor, Tensor>
{
    public Projection(long inFeatures, long outFeatures, bool hasBias, ScalarType dtype) : base(nameof(Projection))
    {
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        Weight = new Parameter(empty(outFeatures, inFeatures, dtype: dtype), requires_grad: false);
        register_parameter("weight", Weight);
        if (hasBias)
        {
            Bias = new Parameter(zeros(outFeatures, dtype: dtype), requires_grad: false);
            register_parameter("bias", Bias);
        }
    }

    public long InFeatures { get; }
    public long OutFeatures { get; }
    public Parameter Weight { get; }
    public Parameter? Bias { get; }

    /// <summary>The adapter attached to this projection, if any (registered as child modules by the adapter itself).</summary>
    public ILinearAdapter? Adapter { get; private set; }

    public void Attach(ILinearAdapter adapter)
    {
        if (Adapter is not null) throw new InvalidOperationException("An adapter is already attached to this projection.");
        Adapter = adapter;
        adapter.RegisterOn(this);
    }

    public override Tensor forward(Tensor input)
    {
        // Base weights may be bf16 while adapters stay fp32: run the base in its own dtype, return the adapter's.
        var x = input.dtype == Weight.dtype ? input : input.to(Weight.dtype);
        var output = Weight.dtype == ScalarType.BFloat16 ? BFloat16Compute.Linear(x, Weight, Bias) : nn.functional.linear(x, Weight, Bias);
        if (Adapter is { Enabled: true } adapter)
        {
            using var delta = adapter.Forward(input);
            output = output.to(delta.dtype).PlusInPlace(delta);
        }
        return output;
    }

    /// <summary>Exposes module registration to adapters defined outside this class.</summary>
    public void RegisterChild(string name, nn.Module module) => register_module(name, module);
}

/// <summary>An additive low-rank (or other) adapter on a <see cref="Projection"/> projection.</summary>
public interface ILinearAdapter
{
    bool Enabled { get; }
    /// <summary>Returns the adapter's contribution for <paramref name="input"/> (same leading shape, OutFeatures last).</summary>
    Tensor Forward(Tensor input);
    /// <summary>Registers the adapter's parameters as child modules of <paramref name="target"/> (e.g. lora_A, lora_B).</summary>
    void RegisterOn(Projection target);
}
