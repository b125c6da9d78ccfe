using System.Reflection;
using FedLlm.Encryption.Keys;
using FedLlm.Federation.Encryption;
using FedLlm.Federation.Engine;
using FedLlm.Federation.Pruning;
using FedLlm.Federation.Configuration;
using FedLlm.Federation.Runs;
using FedLlm.Federation.Strategies;
using FedLlm.Models.Lora;
using FedLlm.Encryption.Homomorphic;

namespace FedLlm.Tests.Encryption;

public class ServerHoldsNoSecretTests
{
    private static readonly Type[] ClientOnly =
        [typeof(HeSecretKey), typeof(HeEncryptor), typeof(HeDecryptor), typeof(ClientKeyStore), typeof(EncryptedUpdateClient), typeof(EncryptingExecutor), typeof(MemberGlobal)];

    [Fact]
    public void TheServerObjectGraphOfAnEncryptedSimulationReachesNoKeyMaterial()
    {
        var layout = new ParameterLayout([("lora_A", [4L, 8L]), ("lora_B", [8L, 4L])]);
        var config = new RunConfig { Seed = 7, Encryption = new EncryptionSection { Enabled = true, MaxClients = 4, Pruning = "shared_mask", StartRound = 0 } };
        var strategy = (Func<ServerStrategy>)(() => StrategyRegistry.Create(config.StrategyOptions(3)));
        using var simulation = new EncryptedSimulation(config, layout, [0, 1, 2], new NoClients(), new float[64], strategy());
        var engine = new RoundEngine(strategy(), [0, 1, 2], 3, 7, 64, opaqueAggregator: simulation.ServerAggregator);

        List<object> reached = Reachable(engine);

        Assert.DoesNotContain(reached, o => ClientOnly.Contains(o.GetType()));
        Assert.Contains(reached, o => o is EncryptedFedAvgAggregator);
        Assert.Contains(reached, o => o is HeParameters);
        Assert.Contains(reached, o => o is PruningPlan);
        // The same walk does find the key from the client side, so the check has teeth.
        Assert.Contains(Reachable(simulation.Executor), o => o is HeSecretKey);
    }

    /// <summary>Every object reachable through instance fields (strings, reflection objects and primitive arrays are leaves).</summary>
    private static List<object> Reachable(object root)
    {
        var seen = new HashSet<object>(ReferenceEqualityComparer.Instance);
        var pending = new Stack<object>([root]);
        while (pending.Count > 0)
        {
            object current = pending.Pop();
            if (!seen.Add(current)) continue;
            Type type = current.GetType();
            if (current is string or MemberInfo or Delegate { Target: null } || type.IsPrimitive || type.IsEnum || type.IsPointer) continue;
            if (current is Array array)
            {
                if (type.GetElementType()!.IsPrimitive) continue;
                foreach (object? element in array) if (element is not null) pending.Push(element);
                continue;
            }
            for (Type? t = type; t is not null; t = t.BaseType)
            {
                foreach (FieldInfo field in t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
                {
                    if (field.FieldType.IsPointer || field.FieldType.IsByRefLike) continue;
                    if (field.GetValue(current) is { } value && !value.GetType().IsPrimitive) pending.Push(value);
                }
            }
            Assert.True(seen.Count < 200_000, "object graph unexpectedly large");
        }
        return [.. seen];
    }

    private sealed class NoClients : IClientExecutor
    {
        public Task<ClientResult> ExecuteAsync(ClientTask task, CancellationToken cancellation) =>
            throw new InvalidOperationException("not used");
    }
}
