using FedLlm.Federation.Encryption;

namespace FedLlm.Tests.Encryption;

public class SampleCountWeightsTests
{
    [Fact]
    public void SmallCountsAreUsedExactly()
    {
        Assert.Equal([3L, 5L, 1024L], SampleCountWeights.For([3, 5, 1024], 1024));
    }

    [Fact]
    public void LargeCountsShareOneGranularity()
    {
        // g = ⌈3000/1024⌉ = 3: 1000/3 → 333, 3000/3 → 1000, 10/3 → 3.
        Assert.Equal([333L, 1000L, 3L], SampleCountWeights.For([1000, 3000, 10], 1024));
    }
}
