using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FedLlm.Models.Llama;

/// <summary>Root-mean-square layer norm, computed in fp32 whatever the weight dtype (as Hugging Face does).</summary>
public sealed class RmsNorm : nn.Module<Tensor, Tensor>
{
    // Held for the module's lifetime: an implicit per-call Scalar can be finalised mid-call (see RootedScalars).
    private readonly Scalar _eps;

    public RmsNorm(long size, double eps, ScalarType dtype) : base(nameof(RmsNorm))
    {
        _eps = eps.ToScalar();
        Weight = new Parameter(ones(size, dtype: dtype), requires_grad: false);
        register_parameter("weight", Weight);
    }

    public Parameter Weight { get; }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = input.to(ScalarType.Float32);
        var variance = x.square().mean([-1L], keepdim: true);
        var normalised = (x * (variance + _eps).rsqrt()).to(input.dtype);
        return (Weight * normalised).MoveToOuterDisposeScope();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _eps.Dispose();
        base.Dispose(disposing);
    }
}
