using FedLlm.Data.Model;
using FedLlm.Foundation.Randomness;
using FedLlm.Federation.Splits;
using FedLlm.Federation.Strategies;

namespace FedLlm.Federation.Simulation;

/// <summary>
/// The data side of a run, prepared and checked before any model loads: the optional global test set, the client
/// split and each client's train / held-out records. Deterministic from the config and the records, so a resumed run
/// rebuilds exactly the same clients.
/// </summary>
/// <param name="Records">The records the split indexes (all records minus a <c>data.test_fraction</c> slice).</param>
public sealed record SimulationData(
    ClientSplit Split, IReadOnlyList<ClientExamples> Clients, IReadOnlyList<InstructionExample> GlobalTest, IReadOnlyList<InstructionExample> Records)
{
    public const string GlobalTestPurpose = "global-test";

    /// <summary>Validates the config, sets the global test slice aside (when asked), splits and assigns the records.</summary>
    /// <param name="testExamples">The records of <c>data.test_path</c>, or null when the config names none.</param>
    /// <exception cref="ArgumentException">The config is invalid or does not fit the data; the message names the key or record.</exception>
    public static SimulationData Prepare(SimulationConfig config, IReadOnlyList<InstructionExample> examples, IReadOnlyList<InstructionExample>? testExamples = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(examples);
        config.ThrowIfInvalid();
        string source = config.Data.Path ?? "the built-in demo data";
        if (examples.Count == 0) throw new ArgumentException($"{source}: no usable records");

        var (pool, globalTest) = SetTestAside(examples, config.Data.TestFraction, config.Seed);
        if (config.Data.TestPath is not null && testExamples is null)
            throw new ArgumentException($"data.test_path is set ({config.Data.TestPath}) but its records were not loaded");
        if (testExamples is not null) globalTest = testExamples;

        ClientSplit split;
        try
        {
            split = FederatedDataset.Split(pool, config.Split, config.Seed);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            throw new ArgumentException($"{source}: cannot split by {config.Split.Method}: {e.Message}", e);
        }

        // A natural split's client count comes from the data, so the strategy's k <= N check runs only now.
        var strategyProblems = StrategyFactory.Validate(config.Strategy.ToOptions(split.ClientCount, config.Rounds))
            .Select(p => "strategy: " + p)
            .Concat(config.Encryption.Validate(config.Strategy.Algorithm, config.RoundSize(split.ClientCount)))
            .ToList();
        if (strategyProblems.Count > 0)
            throw new ArgumentException($"invalid config for the {split.ClientCount} clients of this split: {string.Join("; ", strategyProblems)}");

        var clients = FederatedDataset.Assign(pool, split, config.Data.HeldOutFraction, config.Seed);
        var empty = clients.FirstOrDefault(c => c.Train.Count == 0);
        if (empty is not null) throw new ArgumentException($"{source}: client {empty.ClientId} ('{empty.Name}') has no training records after the split");
        return new SimulationData(split, clients, globalTest, pool);
    }

    /// <summary>A seeded fraction of the pooled records (never seen by any client) for the global test set.</summary>
    private static (IReadOnlyList<InstructionExample> Pool, IReadOnlyList<InstructionExample> Test) SetTestAside(
        IReadOnlyList<InstructionExample> examples, double fraction, ulong seed)
    {
        if (fraction <= 0) return (examples, []);
        int testCount = (int)Math.Round(examples.Count * fraction);
        if (testCount == 0 || testCount >= examples.Count) return (examples, []);
        int[] order = [.. Enumerable.Range(0, examples.Count)];
        Xoshiro256StarStar.ForPurpose(seed, GlobalTestPurpose).Shuffle(order.AsSpan());
        var test = order.Take(testCount).Order().Select(i => examples[i]).ToList();
        var pool = order.Skip(testCount).Order().Select(i => examples[i]).ToList();
        return (pool, test);
    }
}
