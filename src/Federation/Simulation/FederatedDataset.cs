using FedLlm.Data.Model;
using FedLlm.Federation.Splits;

namespace FedLlm.Federation.Simulation;

/// <summary>One client's examples: what it trains on and what it keeps aside for evaluation.</summary>
public sealed record ClientExamples(int ClientId, string Name, IReadOnlyList<InstructionExample> Train, IReadOnlyList<InstructionExample> HeldOut);

/// <summary>Splits a dataset among simulated clients, then holds out a fraction of each client's records.</summary>
public static class FederatedDataset
{
    public static ClientSplit Split(IReadOnlyList<InstructionExample> examples, SplitSection section, ulong seed) => section.Method switch
    {
        SplitMethods.Iid => IidSplitter.Split(examples.Count, section.Clients, seed),
        SplitMethods.DirichletLabel => DirichletLabelSplitter.Split(Field(examples, section.Field, required: true)!, section.Clients, section.Alpha, seed),
        SplitMethods.QuantityDirichlet => QuantitySkewSplitter.Dirichlet(examples.Count, section.Clients, section.Alpha, seed),
        SplitMethods.Natural => NaturalSplitter.ByKey(Field(examples, section.Field, required: true)!, section.Field),
        _ => throw new ArgumentException(
            $"unknown split method '{section.Method}' (valid: {SplitMethods.Iid}, {SplitMethods.DirichletLabel}, {SplitMethods.QuantityDirichlet}, {SplitMethods.Natural})"),
    };

    public static IReadOnlyList<ClientExamples> Assign(IReadOnlyList<InstructionExample> examples, ClientSplit split, double heldOutFraction, ulong seed)
    {
        var clients = new List<ClientExamples>(split.ClientCount);
        for (int c = 0; c < split.ClientCount; c++)
            clients.Add(RunSetup.HoldOut(c, split.NameOf(c), split.RecordsOf(c).Select(i => examples[i]).ToList(), heldOutFraction, seed));
        return clients;
    }

    /// <summary>The values of an example field (category, client, language) of every record; null where a record has none.</summary>
    public static IReadOnlyList<string?> FieldValues(IReadOnlyList<InstructionExample> examples, string field) => Field(examples, field, required: false);

    /// <summary>The metadata field a split groups by; a missing value is an error that names the record.</summary>
    private static List<string?> Field(IReadOnlyList<InstructionExample> examples, string field, bool required)
    {
        var values = new List<string?>(examples.Count);
        for (int i = 0; i < examples.Count; i++)
        {
            var m = examples[i].Metadata;
            string? value = field.ToLowerInvariant() switch
            {
                "category" or "label" => m.Category,
                "client" or "client_id" or "user" or "user_id" => m.ClientId,
                "language" => m.Language,
                _ => throw new ArgumentException($"split.field '{field}' is not a known example field (valid: category, client, language)"),
            };
            if (required && value is null)
                throw new ArgumentException($"{examples[i].Metadata.Source ?? $"record {i}"} has no '{field}' value (split.field), which the split needs " +
                                            "(give the records that field, e.g. a client_id column, or map a column to it)");
            values.Add(value);
        }
        return values;
    }
}
