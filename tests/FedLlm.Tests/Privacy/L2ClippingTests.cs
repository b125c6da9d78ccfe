using FedLlm.Privacy.Mechanisms;

namespace FedLlm.Tests.Privacy;

public class L2ClippingTests
{
    [Fact]
    public void Long_vector_is_scaled_onto_the_ball()
    {
        float[] v = [3f, 4f];
        double factor = L2Clipping.Clip(v, 1.0);
        Assert.Equal(0.2, factor, 1e-6);
        Assert.Equal(0.6f, v[0], 1e-6f);
        Assert.Equal(0.8f, v[1], 1e-6f);
        Assert.True(L2Clipping.Norm(v) <= 1.0);
    }

    [Fact]
    public void Short_vector_is_untouched()
    {
        float[] v = [0.3f, -0.4f];
        Assert.Equal(1.0, L2Clipping.Clip(v, 1.0));
        Assert.Equal([0.3f, -0.4f], v);
        float[] zero = new float[5];
        Assert.Equal(1.0, L2Clipping.Clip(zero, 0.1));
    }

    [Fact]
    public void Clipped_norm_never_exceeds_the_bound_after_float_rounding()
    {
        using var gaussian = new SeededGaussianSource(7);
        for (int trial = 0; trial < 200; trial++)
        {
            var v = new float[1 + trial * 13];
            GaussianNoise.Add(v, 10.0, gaussian);
            double bound = 0.01 + trial * 0.137;
            L2Clipping.Clip(v, bound);
            Assert.True(L2Clipping.Norm(v) <= bound, $"trial {trial}: {L2Clipping.Norm(v):R} > {bound}");
            if (v.Length > 30) Assert.True(L2Clipping.Norm(v) >= bound * (1 - 1e-6));
        }
    }

    [Fact]
    public void Parts_are_clipped_by_their_joint_norm()
    {
        float[] a = [3f, 0f];
        float[] b = [0f, 4f, 0f];
        Assert.Equal(5.0, L2Clipping.Norm([a, b]), 1e-12);
        double factor = L2Clipping.Clip([a, b], 2.5);
        Assert.Equal(0.5, factor, 1e-6);
        Assert.Equal(1.5f, a[0], 1e-6f);
        Assert.Equal(2f, b[1], 1e-6f);
    }

    [Fact]
    public void Invalid_input_is_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => L2Clipping.Clip(new float[] { 1f }, 0.0));
        Assert.Throws<ArgumentException>(() => L2Clipping.Clip(new float[] { float.NaN }, 1.0));
    }
}
