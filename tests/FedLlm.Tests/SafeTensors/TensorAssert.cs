using TorchSharp;

namespace FedLlm.Tests.SafeTensors;

internal static class TensorAssert
{
    /// <summary>Bit-exact equality: same dtype, same shape, same row-major bytes (so NaN payloads and -0 count too).</summary>
    public static void SameDtypeShapeAndBytes(torch.Tensor expected, torch.Tensor actual)
    {
        Assert.Equal(expected.dtype, actual.dtype);
        Assert.Equal(expected.shape, actual.shape);
        using torch.Tensor expectedPacked = expected.contiguous();
        using torch.Tensor actualPacked = actual.contiguous();
        Assert.True(expectedPacked.bytes.SequenceEqual(actualPacked.bytes), "tensor bytes differ");
    }
}
