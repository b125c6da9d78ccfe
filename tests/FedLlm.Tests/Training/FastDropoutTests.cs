using FedLlm.Models.Lora;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace FedLlm.Tests.Training;

public sealed class FastDropoutTests
{
    [Fact]
    public void Drops_a_share_p_of_elements_and_scales_the_rest_by_one_over_one_minus_p()
    {
        using var scope = NewDisposeScope();
        const double p = 0.05;
        const int count = 1_000_003; // not a multiple of the chunk size or of two
        var mask = empty(count, dtype: ScalarType.Float32);
        FastDropout.Fill(mask, seed: 42, p);

        float[] values = mask.data<float>().ToArray();
        int dropped = values.Count(v => v == 0f);
        float kept = (float)(1 / (1 - p));
        Assert.All(values, v => Assert.True(v == 0f || v == kept, $"mask value {v}"));
        // Binomial(n, p): standard deviation √(n p (1 − p)) ≈ 218; allow 5σ.
        Assert.InRange(dropped, count * p - 1100, count * p + 1100);
        // Every part of the tensor gets masks, including the last partial chunk.
        Assert.Contains(0f, values[^1000..]);
    }

    [Fact]
    public void The_mask_depends_on_the_seed_only_not_on_the_thread_count()
    {
        using var scope = NewDisposeScope();
        var one = empty(300_000, dtype: ScalarType.Float32);
        var other = empty(300_000, dtype: ScalarType.Float32);
        var third = empty(300_000, dtype: ScalarType.Float32);
        FastDropout.Fill(one, seed: 7, 0.1, maxThreads: 1);
        FastDropout.Fill(other, seed: 7, 0.1, maxThreads: 4);
        FastDropout.Fill(third, seed: 8, 0.1);
        Assert.True(one.eq(other).all().item<bool>());
        Assert.False(one.eq(third).all().item<bool>());
    }

    [Fact]
    public void Follows_libtorchs_global_seed_and_passes_the_mask_to_the_gradient()
    {
        using var scope = NewDisposeScope();
        var input = ones(4, 1000, requires_grad: true);
        manual_seed(5);
        var first = FastDropout.Apply(input, 0.3);
        manual_seed(5);
        var again = FastDropout.Apply(input, 0.3);
        var next = FastDropout.Apply(input, 0.3);
        Assert.True(first.eq(again).all().item<bool>());
        Assert.False(first.eq(next).all().item<bool>());

        first.sum().backward();
        // d(sum(x ⊙ m))/dx = m, and x = 1, so the gradient is the output itself.
        Assert.True(input.grad!.eq(first.detach()).all().item<bool>());
    }
}
