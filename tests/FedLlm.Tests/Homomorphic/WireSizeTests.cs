using FedLlm.Encryption.Homomorphic;

namespace FedLlm.Tests.Homomorphic;

public class WireSizeTests
{
    [Fact]
    public void UplinkCiphertextIsAtMostTwiceTheFp32Size()
    {
        HeParameters parameters = HomomorphicFixtures.Default;
        using HeSecretKey key = HeSecretKey.Generate(parameters);
        const int count = 100_000;
        float[] update = HomomorphicFixtures.RandomValues(new Random(1), count, 0.01);

        byte[] uplink = new HeEncryptor(parameters, key).Encrypt(update).ToBytes();

        double ratio = uplink.Length / (double)(count * sizeof(float));
        Assert.True(ratio <= 2.0, $"uplink is {ratio:F3}× fp32");
        // 59 bits per value, plus one 80-byte header+seed: 59/32 = 1.844.
        Assert.Equal(parameters.CoefficientBits / 32.0, ratio, 2);
    }

    [Fact]
    public void DownlinkAddsOnlyFortyBytesPerClient()
    {
        HeParameters parameters = HomomorphicFixtures.Default;
        using HeSecretKey key = HeSecretKey.Generate(parameters);
        var encryptor = new HeEncryptor(parameters, key);
        var aggregator = new HeAggregator(parameters);
        float[] update = new float[100_000];
        EncryptedVector fresh = encryptor.Encrypt(update);
        for (int client = 0; client < 8; client++) aggregator.Add(encryptor.Encrypt(update), 1);

        Assert.Equal(fresh.SerializedSize + 7 * 40, aggregator.Result().SerializedSize);
        Assert.True(aggregator.Result().SerializedSize <= 2.0 * update.Length * sizeof(float));
    }
}
