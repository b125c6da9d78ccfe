using FedLlm.Models;
using FedLlm.Models.Llama;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace FedLlm.Tests.Models;

public sealed class BFloat16ComputeTests
{
    [Fact]
    public void A_bf16_projection_equals_libtorchs_own_bf16_linear_whichever_path_this_cpu_takes()
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(3);
        var input = randn([3, 5, 64], generator: generator).to(ScalarType.BFloat16);
        var weight = randn([48, 64], generator: generator).to(ScalarType.BFloat16);
        var bias = randn([48], generator: generator).to(ScalarType.BFloat16);

        var ours = BFloat16Compute.Linear(input, weight, bias);
        var libtorch = nn.functional.linear(input, weight, bias);

        Assert.Equal(ScalarType.BFloat16, ours.dtype);
        Assert.Equal(libtorch.shape, ours.shape);
        // Both accumulate the bf16 products in fp32 and round once to bf16; summation order may differ by a rounding
        // step, so at most one bf16 ulp (2⁻⁷ relative) apart.
        var difference = (ours.to(ScalarType.Float32) - libtorch.to(ScalarType.Float32)).abs();
        var allowed = libtorch.to(ScalarType.Float32).abs() * (1.0 / 128) + 1e-2;
        Assert.True(difference.le(allowed).all().item<bool>(), $"largest difference {difference.max().item<float>()}");
    }

    [Fact]
    public void A_bf16_model_gives_the_same_logits_as_its_fp32_copy_to_bf16_precision()
    {
        using var scope = NewDisposeScope();
        var config = TestModels.Config("Qwen2ForCausalLM", tied: true);
        using var fp32 = new CausalLm(config, ScalarType.Float32);
        fp32.InitialiseRandom(new Generator(1));
        using var bf16 = new CausalLm(config, ScalarType.BFloat16);
        using (no_grad())
            foreach (var (name, p) in bf16.named_parameters()) p.copy_(fp32.get_parameter(name)!);
        var ids = arange(3, 19, dtype: ScalarType.Int64).unsqueeze(0);

        using var noGrad = no_grad();
        var wide = fp32.Forward(ids);
        var narrow = bf16.Forward(ids);

        Assert.Equal(ScalarType.Float32, narrow.dtype);
        double error = (wide - narrow).abs().max().item<float>();
        double scale = wide.abs().max().item<float>();
        Assert.True(error < 0.05 * scale, $"bf16 logits {error} away from fp32 (scale {scale})");
        Assert.Equal(wide.argmax(-1).data<long>().ToArray(), narrow.argmax(-1).data<long>().ToArray());
    }
}
