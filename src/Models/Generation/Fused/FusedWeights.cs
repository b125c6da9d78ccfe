using System.Runtime.InteropServices;
using FedLlm.Models.Llama;
using FedLlm.Models.Lora;
using static TorchSharp.torch;

namespace FedLlm.Models.Generation.Fused;

/// <summary>
/// The model's weights as the fused kernels read them. Projections borrow the model's contiguous fp32/bf16 storage
/// (no copy, so a 0.5B model is not held twice); a projection carrying an enabled LoRA adapter gets its own fp32 copy of
/// W + scaling·B·A, fp32 even over a bf16 base, since bf16 would round most of a small update away. Norm weights and
/// biases, a few KB, are copied to fp32.
/// </summary>
internal sealed unsafe class FusedWeights : IDisposable
{
    private readonly List<WeightMatrix> _matrices = [];

    private FusedWeights(NativeArena arena) => Arena = arena;

    public NativeArena Arena { get; }
    public required WeightMatrix Embedding { get; init; }
    public required WeightMatrix Output { get; init; }
    public required float* FinalNorm { get; init; }
    public required Layer[] Layers { get; init; }

    /// <summary>Weight bytes one decoded token streams: every projection and the output head (not the embedding row).</summary>
    public long BytesPerToken => Layers.Sum(l => l.Q.Bytes + l.K.Bytes + l.V.Bytes + l.O.Bytes + l.Gate.Bytes + l.Up.Bytes + l.Down.Bytes) + Output.Bytes;

    /// <summary>Why the fused kernels cannot decode <paramref name="model"/> exactly as the libtorch path does, or null.</summary>
    public static string? Unsupported(CausalLm model)
    {
        if (model.Config.MlpBias) return "MLP biases";
        if (model.Config.AttentionBias && model.Config.Architecture != "Qwen2ForCausalLM") return "an o_proj bias";
        foreach (var (path, projection) in model.Projections())
        {
            switch (projection.Adapter)
            {
                case null:
                case LoraLayer { Enabled: false }:
                    break;
                case LoraLayer { Training: false, Tap: null }:
                    break; // merged into the engine's copy
                case LoraLayer:
                    return $"{path}: a LoRA adapter in training mode or tapped";
                default:
                    return $"{path}: an adapter bank or other adapter the fused kernels cannot merge";
            }
        }
        return null;
    }

    public static FusedWeights Load(CausalLm model)
    {
        string? reason = Unsupported(model);
        if (reason is not null) throw new NotSupportedException($"the fused decode engine does not support {reason}");
        using var noGrad = no_grad();
        var arena = new NativeArena();
        var matrices = new List<WeightMatrix>();
        WeightMatrix Matrix(Tensor weight, ILinearAdapter? adapter)
        {
            var matrix = adapter is LoraLayer { Enabled: true } lora ? Merged(weight, lora) : Borrow(weight);
            matrices.Add(matrix);
            return matrix;
        }
        float* Vector(Tensor? t)
        {
            if (t is null) return null;
            using var fp32 = t.to(ScalarType.Float32).contiguous();
            return arena.CopyOf(fp32.data<float>().ToArray());
        }
        var layers = model.Layers.Select(layer =>
        {
            var attention = layer.SelfAttention;
            var mlp = layer.Mlp;
            return new Layer
            {
                AttentionNorm = Vector(layer.InputLayerNorm.Weight),
                MlpNorm = Vector(layer.PostAttentionLayerNorm.Weight),
                Q = Matrix(attention.QProj.Weight, attention.QProj.Adapter),
                K = Matrix(attention.KProj.Weight, attention.KProj.Adapter),
                V = Matrix(attention.VProj.Weight, attention.VProj.Adapter),
                O = Matrix(attention.OProj.Weight, attention.OProj.Adapter),
                QBias = Vector(attention.QProj.Bias),
                KBias = Vector(attention.KProj.Bias),
                VBias = Vector(attention.VProj.Bias),
                Gate = Matrix(mlp.GateProj.Weight, mlp.GateProj.Adapter),
                Up = Matrix(mlp.UpProj.Weight, mlp.UpProj.Adapter),
                Down = Matrix(mlp.DownProj.Weight, mlp.DownProj.Adapter),
            };
        }).ToArray();
        var embedding = Matrix(model.EmbedTokens, null);
        var head = model.Projections().LastOrDefault(p => p.Path == "lm_head").Projection;
        var weights = new FusedWeights(arena)
        {
            Embedding = embedding,
            Output = head is null ? embedding : Matrix(head.Weight, head.Adapter),
            FinalNorm = Vector(model.FinalNorm.Weight),
            Layers = layers,
        };
        weights._matrices.AddRange(matrices);
        return weights;
    }

    private static WeightMatrix Borrow(Tensor weight)
    {
        if (!weight.is_contiguous() || weight.dim() != 2 || weight.dtype is not (ScalarType.Float32 or ScalarType.BFloat16))
            throw new NotSupportedException($"expected a contiguous 2-D fp32 or bf16 weight, got {weight.dtype} [{string.Join(", ", weight.shape)}]");
        // The storage is libtorch's native memory, fixed for the tensor's lifetime: the span's address is the data pointer.
        void* data = (void*)(nint)System.Runtime.CompilerServices.Unsafe.AsPointer(ref MemoryMarshal.GetReference(weight.bytes));
        return WeightMatrix.Borrow(data, (int)weight.shape[0], (int)weight.shape[1], weight.dtype == ScalarType.BFloat16);
    }

    private static WeightMatrix Merged(Tensor weight, LoraLayer lora)
    {
        using var delta = lora.DeltaWeight();
        using var merged = weight.to(ScalarType.Float32).add(delta).contiguous();
        return WeightMatrix.CopyOf(merged.data<float>().ToArray(), (int)weight.shape[0], (int)weight.shape[1]);
    }

    public void Dispose()
    {
        foreach (var matrix in _matrices) matrix.Dispose();
        Arena.Dispose();
    }

    /// <summary>One decoder layer's weights.</summary>
    public sealed class Layer
    {
        public required float* AttentionNorm { get; init; }
        public required float* MlpNorm { get; init; }
        public required WeightMatrix Q { get; init; }
        public required WeightMatrix K { get; init; }
        public required WeightMatrix V { get; init; }
        public required WeightMatrix O { get; init; }
        public required float* QBias { get; init; }
        public required float* KBias { get; init; }
        public required float* VBias { get; init; }
        public required WeightMatrix Gate { get; init; }
        public required WeightMatrix Up { get; init; }
        public required WeightMatrix Down { get; init; }
    }
}
