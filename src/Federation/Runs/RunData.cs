using FedLlm.Data.Loading;
using FedLlm.Data.Model;
using FedLlm.Federation.Configuration;
using FedLlm.Federation.Splits;
using FedLlm.Foundation.Randomness;

namespace FedLlm.Federation.Runs;

/// <summary>One client's records: what it trains on and what it keeps aside for its own evaluation.</summary>
public sealed record ClientRecords(int ClientId, string Name, IReadOnlyList<Example> Train, IReadOnlyList<Example> HeldOut);

/// <summary>
/// The data side of a simulated run, prepared and checked before any model loads: the optional global test set, the
/// client split and each client's train / held-out records. Deterministic from the config and the records, so a resumed
/// run rebuilds exactly the same clients.
/// </summary>
/// <param name="Records">The records the split indexes (all records minus a <c>data.test_fraction</c> slice).</param>
public sealed record RunData(ClientSplit Split, IReadOnlyList<ClientRecords> Clients, IReadOnlyList<Example> GlobalTest, IReadOnlyList<Example> Records)
{
    public const string GlobalTestPurpose = "global-test";

    /// <summary>Sets the global test slice aside (when asked), splits the records and holds out part of each client's.</summary>
    /// <exception cref="ArgumentException">The config does not fit the data; the message names the key or record.</exception>
    public static RunData Prepare(RunConfig config, RunRecords records)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(records);
        string source = config.Data.Path ?? "the built-in demo data";
        var (pool, globalTest) = SetTestAside(records.Records, config.Data.TestFraction, config.Seed);
        if (records.TestRecords is not null) globalTest = records.TestRecords;

        ClientSplit split;
        try
        {
            split = SplitRecords(pool, config.Split, config.Seed);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            throw new ArgumentException($"{source}: cannot split by {config.Split.Method}: {e.Message}", e);
        }

        // A natural split's client count comes from the data, so the checks that need N run only now (for the other
        // splits RunConfig.Validate ran them with split.clients, and they find nothing new here).
        bool natural = config.Split.MethodKind == SplitMethods.Natural;
        var problems = config.ValidateFederation(split.ClientCount, split.ClientCount, natural ? $"split.method natural by {config.Split.Field}" : "split.clients");
        if (problems.Count > 0)
            throw new ArgumentException($"invalid config for the {split.ClientCount} clients of this split: {string.Join("; ", problems)}");

        var clients = new List<ClientRecords>(split.ClientCount);
        for (int c = 0; c < split.ClientCount; c++)
        {
            var own = split.RecordsOf(c).Select(i => pool[i]).ToList();
            var (train, heldOut) = HeldOutSplit.Split(own, config.Data.HeldOutFraction, config.Seed, c);
            if (train.Count == 0) throw new ArgumentException($"{source}: client {c} ('{split.NameOf(c)}') has no training records after the split");
            clients.Add(new ClientRecords(c, split.NameOf(c), train, heldOut));
        }
        return new RunData(split, clients, globalTest, pool);
    }

    /// <summary>One party's own records (<c>fedllm train</c>, a deployed client): held out by fraction, or by <c>data.eval_path</c>.</summary>
    public static ClientRecords ForParty(RunConfig config, RunRecords records, int partyId, string name)
    {
        if (records.EvalRecords is { } eval) return new ClientRecords(partyId, name, records.Records, eval);
        var (train, heldOut) = HeldOutSplit.Split(records.Records, config.Data.HeldOutFraction, config.Seed, partyId);
        return new ClientRecords(partyId, name, train, heldOut);
    }

    public static ClientSplit SplitRecords(IReadOnlyList<Example> examples, SplitSection section, ulong seed) =>
        section.MethodKind switch
        {
            SplitMethods.Iid => IidSplitter.Split(examples.Count, section.Clients, seed),
            SplitMethods.DirichletLabel => DirichletLabelSplitter.Split(FieldValues(examples, section.Field, required: true)!, section.Clients, section.Alpha, seed),
            SplitMethods.QuantityDirichlet => QuantitySkewSplitter.Dirichlet(examples.Count, section.Clients, section.Alpha, seed),
            _ => NaturalSplitter.ByKey(FieldValues(examples, section.Field, required: true), section.Field),
        };

    /// <summary>The values of a metadata field of every record; a missing value is an error naming the record when <paramref name="required"/>.</summary>
    public static IReadOnlyList<string?> FieldValues(IReadOnlyList<Example> examples, string field, bool required = false)
    {
        var kind = ExampleFields.Names.Parse(field, "split.field");
        var values = new List<string?>(examples.Count);
        for (int i = 0; i < examples.Count; i++)
        {
            string? value = kind.ValueIn(examples[i].Metadata);
            if (required && value is null)
                throw new ArgumentException($"{examples[i].Metadata.Source ?? $"record {i}"} has no '{field}' value (split.field), which the split needs " +
                                            "(give the records that field, e.g. a client_id column, or map a column to it)");
            values.Add(value);
        }
        return values;
    }

    /// <summary>A seeded fraction of the pooled records (never seen by any client) for the global test set.</summary>
    private static (IReadOnlyList<Example> Pool, IReadOnlyList<Example> Test) SetTestAside(IReadOnlyList<Example> examples, double fraction, ulong seed)
    {
        if (fraction <= 0) return (examples, []);
        var (pool, test) = HeldOutSplit.Split([.. Enumerable.Range(0, examples.Count)], fraction, Xoshiro256StarStar.ForPurpose(seed, GlobalTestPurpose));
        // Both keep the records' own order: the split indexes the pool as it would the file.
        return ([.. pool.Order().Select(i => examples[i])], [.. test.Order().Select(i => examples[i])]);
    }
}
