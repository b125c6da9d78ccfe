using FedLlm.Models.Llama;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FedLlm.Models.Lora;

/// <summary>
/// One LoRA adapter on a projection: delta(x) = scaling · B(A(dropout(x))), with A [r, in] and B [out, r] in fp32.
/// Initialised as PEFT does: A Kaiming-uniform (a = √5), B zeros, so a fresh adapter leaves the model unchanged.
/// </summary>
public sealed class LoraLayer : ILinearAdapter
{
    private readonly double _dropout;

    public LoraLayer(Projection target, int rank, double scaling, double dropout, Generator? generator)
    {
        Scaling = scaling;
        _scaling = RootedScalars.Constant(scaling);
        _dropout = dropout;
        A = new WeightHolder(new Parameter(empty(rank, target.InFeatures, dtype: ScalarType.Float32), requires_grad: true));
        B = new WeightHolder(new Parameter(zeros(target.OutFeatures, rank, dtype: ScalarType.Float32), requires_grad: true));
        ResetParameters(generator);
        target.Attach(this);
    }

    public WeightHolder A { get; }
    public WeightHolder B { get; }
    public double Scaling { get; }

    // Rooted, not an implicit per-call Scalar, which can be finalised mid-call (see RootedScalars).
    private readonly Scalar _scaling;
    public bool Enabled { get; set; } = true;

    /// <summary>Dropout is active only while training.</summary>
    public bool Training { get; set; }

    /// <summary>
    /// Sees every forward pass while set (per-example gradients for DP-SGD); whoever sets it must clear it after use.
    /// </summary>
    public ILoraForwardTap? Tap { get; set; }

    public void ResetParameters(Generator? generator)
    {
        using var noGrad = no_grad();
        // Kaiming-uniform with a = √5 gives bound = sqrt(6 / ((1 + a²) · fan_in)) = 1 / sqrt(fan_in).
        double bound = 1.0 / Math.Sqrt(A.Weight.shape[1]);
        using var sample = rand(A.Weight.shape, dtype: ScalarType.Float32, generator: generator);
        A.Weight.copy_(sample * (2 * bound) - bound);
        B.Weight.zero_();
    }

    public Tensor Forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = input.to(ScalarType.Float32);
        if (Training && _dropout > 0) x = FastDropout.Apply(x, _dropout);
        // Scaling the rank-r intermediate rather than the output touches r values per token instead of out_features.
        var delta = nn.functional.linear(nn.functional.linear(x, A.Weight).mul_(_scaling), B.Weight);
        if (Tap is { } tap) delta = tap.OnForward(this, x, delta);
        return delta.MoveToOuterDisposeScope();
    }

    public void RegisterOn(Projection target)
    {
        target.RegisterChild("lora_A", A);
        target.RegisterChild("lora_B", B);
    }

    /// <summary>scaling · B·A, the dense update this adapter adds to the base weight.</summary>
    public Tensor DeltaWeight()
    {
        using var noGrad = no_grad();
        return B.Weight.matmul(A.Weight).mul_(_scaling);
    }

    /// <summary>A module holding one <c>weight</c> parameter, so keys read <c>...q_proj.lora_A.weight</c> as in PEFT.</summary>
    public sealed class WeightHolder : nn.Module
    {
        public WeightHolder(Parameter weight) : base(nameof(WeightHolder))
        {
            Weight = weight;
            register_parameter("weight", weight);
        }

        public Parameter Weight { get; }
    }
}
