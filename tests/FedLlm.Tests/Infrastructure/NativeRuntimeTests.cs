using TorchSharp;

namespace FedLlm.Tests.Infrastructure;

public class NativeRuntimeTests
{
    [Fact]
    public void TorchSharpNativeBackendLoadsAndComputes()
    {
        using var a = torch.arange(1, 5, dtype: torch.float32).reshape(2, 2);
        using var product = a.matmul(a);
        Assert.Equal(new float[] { 7, 10, 15, 22 }, product.data<float>().ToArray());
    }
}
