using TorchSharp;
using static TorchSharp.torch;

namespace FedLlm.Models.Llama;

/// <summary>SwiGLU feed-forward block: down(silu(gate(x)) * up(x)).</summary>
public sealed class FeedForward : nn.Module<Tensor, Tensor>
{
    public FeedForward(ModelConfig config, ScalarType dtype) : base(nameof(FeedForward))
    {
        GateProj = new Projection(config.HiddenSize, config.IntermediateSize, config.MlpBias, dtype);
        UpProj = new Projection(config.HiddenSize, config.IntermediateSize, config.MlpBias, dtype);
        DownProj = new Projection(config.IntermediateSize, config.HiddenSize, config.MlpBias, dtype);
        register_module("gate_proj", GateProj);
        register_module("up_proj", UpProj);
        register_module("down_proj", DownProj);
    }

    public Projection GateProj { get; }
    public Projection UpProj { get; }
    public Projection DownProj { get; }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var activated = nn.functional.silu(GateProj.forward(input)) * UpProj.forward(input);
        return DownProj.forward(activated).MoveToOuterDisposeScope();
    }
}
