using FedLlm.Encryption.Homomorphic;

namespace FedLlm.Tests.Homomorphic;

public class RoundTripTests
{
    public static TheoryData<int> Lengths => new() { 0, 1, 4095, 4096, 4097, 3 * 4096 + 5 };

    [Theory]
    [MemberData(nameof(Lengths))]
    public void DecryptOfEncryptIsWithinTheStatedError(int length)
    {
        HeParameters parameters = HomomorphicFixtures.Default;
        using HeSecretKey key = HeSecretKey.Generate(parameters);
        float[] values = HomomorphicFixtures.RandomValues(new Random(length), length, parameters.ClipBound);

        EncryptedVector ciphertext = new HeEncryptor(parameters, key).Encrypt(values);
        float[] decrypted = new HeDecryptor(parameters, key).Decrypt(ciphertext, 1);

        Assert.Equal(length, decrypted.Length);
        double tolerance = HomomorphicFixtures.Tolerance(parameters);
        for (int i = 0; i < length; i++) Assert.True(Math.Abs(decrypted[i] - values[i]) <= tolerance, $"value {i}: {decrypted[i]} vs {values[i]}");
    }

    [Fact]
    public void RnsParametersRoundTripExactlyAtTheIntegerLevel()
    {
        HeParameters parameters = HomomorphicFixtures.TwoPrime;
        using HeSecretKey key = HeSecretKey.Generate(parameters);
        float[] values = HomomorphicFixtures.RandomValues(new Random(3), 5000, parameters.ClipBound);

        long[] sums = new HeDecryptor(parameters, key).DecryptIntegerSums(new HeEncryptor(parameters, key).Encrypt(values));

        Assert.Equal(values.Select(v => HomomorphicFixtures.Encode(v, parameters)), sums);
    }

    [Fact]
    public void ValuesOutsideTheClipRangeAreClipped()
    {
        HeParameters parameters = HomomorphicFixtures.Default;
        using HeSecretKey key = HeSecretKey.Generate(parameters);
        float[] decrypted = new HeDecryptor(parameters, key).Decrypt(new HeEncryptor(parameters, key).Encrypt([5f, -7f, 0.5f]), 1);
        Assert.Equal([1f, -1f, 0.5f], decrypted);
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void NonFiniteValuesAreRejectedWithTheirIndex(float bad)
    {
        HeParameters parameters = HomomorphicFixtures.Default;
        using HeSecretKey key = HeSecretKey.Generate(parameters);
        var error = Assert.Throws<ArgumentException>(() => new HeEncryptor(parameters, key).Encrypt([0f, 1f, bad]));
        Assert.Contains("index 2", error.Message);
    }

    [Fact]
    public void EncryptingTwiceGivesDifferentCiphertexts()
    {
        HeParameters parameters = HomomorphicFixtures.Default;
        using HeSecretKey key = HeSecretKey.Generate(parameters);
        var encryptor = new HeEncryptor(parameters, key);
        float[] values = new float[100];
        Assert.NotEqual(encryptor.Encrypt(values).ToBytes(), encryptor.Encrypt(values).ToBytes());
    }

    [Fact]
    public void AnotherKeyDoesNotDecrypt()
    {
        HeParameters parameters = HomomorphicFixtures.Default;
        using HeSecretKey key = HeSecretKey.Generate(parameters);
        using HeSecretKey other = HeSecretKey.Generate(parameters);
        var values = new float[256];
        long[] sums = new HeDecryptor(parameters, other).DecryptIntegerSums(new HeEncryptor(parameters, key).Encrypt(values));
        // A wrong key leaves a uniformly distributed residue: essentially never the encoded zero.
        Assert.True(sums.Count(s => s == 0) < 5);
    }

    [Fact]
    public void ExportedKeyImportsAndDecryptsForAnotherClient()
    {
        HeParameters parameters = HomomorphicFixtures.Default;
        using HeSecretKey holder = HeSecretKey.Generate(parameters);
        byte[] shared = holder.Export();
        using HeSecretKey received = HeSecretKey.Import(shared, parameters);
        Assert.Equal(shared, received.Export());
        Assert.Equal(28 + parameters.RingDegree / 4, shared.Length);

        float[] values = HomomorphicFixtures.RandomValues(new Random(9), 1000, 1);
        float[] decrypted = new HeDecryptor(parameters, received).Decrypt(new HeEncryptor(parameters, holder).Encrypt(values), 1);
        for (int i = 0; i < values.Length; i++) Assert.True(Math.Abs(decrypted[i] - values[i]) <= HomomorphicFixtures.Tolerance(parameters));
    }

    [Fact]
    public void KeyImportRejectsOtherParametersAndCorruptCoefficients()
    {
        using HeSecretKey key = HeSecretKey.Generate(HomomorphicFixtures.Default);
        byte[] exported = key.Export();
        Assert.Contains("other parameters", Assert.Throws<InvalidDataException>(() => HeSecretKey.Import(exported, HomomorphicFixtures.TwoPrime)).Message);
        exported[^1] = 0xFF;
        Assert.Contains("invalid code", Assert.Throws<InvalidDataException>(() => HeSecretKey.Import(exported, HomomorphicFixtures.Default)).Message);
        Assert.Throws<InvalidDataException>(() => HeSecretKey.Import(exported.AsSpan(0, 100), HomomorphicFixtures.Default));
    }

    [Fact]
    public void SecretKeyIsTernaryAndBalanced()
    {
        using HeSecretKey key = HeSecretKey.Generate(HomomorphicFixtures.Default);
        ReadOnlySpan<sbyte> coefficients = key.Coefficients;
        int[] counts = new int[3];
        foreach (sbyte c in coefficients) counts[c + 1]++;
        Assert.Equal(4096, counts.Sum());
        // Each value has probability 1/3: 1365 ± ~30; six standard deviations either way.
        Assert.All(counts, count => Assert.InRange(count, 1365 - 180, 1365 + 180));
    }

    [Fact]
    public void DisposedKeyCannotBeUsed()
    {
        HeParameters parameters = HomomorphicFixtures.Default;
        HeSecretKey key = HeSecretKey.Generate(parameters);
        var encryptor = new HeEncryptor(parameters, key);
        key.Dispose();
        Assert.Throws<ObjectDisposedException>(() => encryptor.Encrypt([1f]));
        Assert.Throws<ObjectDisposedException>(() => key.Export());
    }

    [Fact]
    public void KeyForOtherParametersIsRefused()
    {
        using HeSecretKey key = HeSecretKey.Generate(HomomorphicFixtures.Default);
        Assert.Throws<ArgumentException>(() => new HeEncryptor(HomomorphicFixtures.TwoPrime, key));
        Assert.Throws<ArgumentException>(() => new HeDecryptor(HomomorphicFixtures.TwoPrime, key));
    }
}
