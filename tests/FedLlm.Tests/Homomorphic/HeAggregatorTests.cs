using System.Reflection;
using FedLlm.Encryption.Homomorphic;

namespace FedLlm.Tests.Homomorphic;

public class HeAggregatorTests
{
    private static readonly HeParameters Parameters = HomomorphicFixtures.Default;

    [Theory]
    [InlineData(typeof(HeAggregator))]
    [InlineData(typeof(EncryptedVector))]
    [InlineData(typeof(FedLlm.Federation.Encryption.EncryptedFedAvgAggregator))]
    public void ServerSideTypesCannotReachTheSecretKey(Type serverType)
    {
        Type[] secretHolders = [typeof(HeSecretKey), typeof(HeEncryptor), typeof(HeDecryptor)];
        var seen = new HashSet<Type>();
        var pending = new Queue<Type>([serverType]);
        while (pending.Count > 0)
        {
            Type type = pending.Dequeue();
            if (!seen.Add(type)) continue;
            Assert.DoesNotContain(type, secretHolders);
            if (type.IsArray) { pending.Enqueue(type.GetElementType()!); continue; }
            foreach (Type argument in type.GenericTypeArguments) pending.Enqueue(argument);
            if (type.Assembly.GetName().Name?.StartsWith("FedLlm.", StringComparison.Ordinal) != true) continue;
            foreach (FieldInfo field in type.GetFields(BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic))
            {
                pending.Enqueue(field.FieldType);
            }
        }
        Assert.Contains(typeof(HeParameters), seen); // the walk did reach the aggregator's state
        Assert.All(typeof(HeAggregator).GetConstructors(), constructor =>
            Assert.DoesNotContain(constructor.GetParameters(), parameter => secretHolders.Contains(parameter.ParameterType)));
    }

    [Fact]
    public void WeightsOutsideTheBudgetAreRefused()
    {
        using HeSecretKey key = HeSecretKey.Generate(Parameters);
        EncryptedVector ciphertext = new HeEncryptor(Parameters, key).Encrypt([1f]);
        var aggregator = new HeAggregator(Parameters);
        Assert.Throws<ArgumentOutOfRangeException>(() => aggregator.Add(ciphertext, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => aggregator.Add(ciphertext, Parameters.MaxWeight + 1));
        for (int i = 0; i < Parameters.MaxClients; i++) aggregator.Add(ciphertext, 1);
        Assert.Contains("K_max", Assert.Throws<InvalidOperationException>(() => aggregator.Add(ciphertext, 1)).Message);
    }

    [Fact]
    public void MismatchedLengthsAndParametersAreRefused()
    {
        using HeSecretKey key = HeSecretKey.Generate(Parameters);
        var encryptor = new HeEncryptor(Parameters, key);
        var aggregator = new HeAggregator(Parameters);
        Assert.Throws<InvalidOperationException>(() => aggregator.Result());
        aggregator.Add(encryptor.Encrypt(new float[10]), 1);
        Assert.Contains("10", Assert.Throws<ArgumentException>(() => aggregator.Add(encryptor.Encrypt(new float[11]), 1)).Message);

        using HeSecretKey otherKey = HeSecretKey.Generate(HomomorphicFixtures.TwoPrime);
        EncryptedVector foreign = new HeEncryptor(HomomorphicFixtures.TwoPrime, otherKey).Encrypt(new float[10]);
        Assert.Contains("parameters", Assert.Throws<ArgumentException>(() => aggregator.Add(foreign, 1)).Message);
    }

    [Fact]
    public void DecryptRequiresTheAggregatedTotalWeight()
    {
        using HeSecretKey key = HeSecretKey.Generate(Parameters);
        var aggregator = new HeAggregator(Parameters);
        aggregator.Add(new HeEncryptor(Parameters, key).Encrypt([0.5f]), 3);
        aggregator.Add(new HeEncryptor(Parameters, key).Encrypt([0.25f]), 5);
        Assert.Equal(8, aggregator.TotalWeight);
        var decryptor = new HeDecryptor(Parameters, key);
        Assert.Contains("weight 8", Assert.Throws<ArgumentException>(() => decryptor.Decrypt(aggregator.Result(), 2)).Message);
        Assert.Equal((3 * 0.5 + 5 * 0.25) / 8, decryptor.Decrypt(aggregator.Result(), 8)[0], 6);
    }
}
