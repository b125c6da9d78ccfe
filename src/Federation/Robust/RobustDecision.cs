using System.Globalization;
using System.Text.Json.Nodes;
using FedLlm.Training.Runs;

namespace FedLlm.Federation.Robust;

/// <summary>
/// What a robust rule decided in one round, for <c>metrics.jsonl</c>: which clients it kept or dropped, the weights it
/// gave, and named per-client figures (Krum scores, DnC outlier scores, norms, clip factors, trimmed shares).
/// </summary>
public sealed record RobustDecision(string Rule, IReadOnlyList<int> Clients)
{
    private static readonly IReadOnlyDictionary<string, IReadOnlyDictionary<int, double>> NoFigures =
        new Dictionary<string, IReadOnlyDictionary<int, double>>();

    private static readonly IReadOnlyDictionary<string, double> NoValues = new Dictionary<string, double>();

    /// <summary>Clients whose own update reaches the strategy (selection rules); null for rules that blend every client.</summary>
    public IReadOnlyList<int>? Kept { get; init; }

    /// <summary>The clients a selection rule left out; empty when <see cref="Kept"/> is null.</summary>
    public IReadOnlyList<int> Dropped => Kept is null ? [] : [.. Clients.Except(Kept)];

    /// <summary>Normalised client weights of a reweighting rule (FoolsGold, residual); null otherwise.</summary>
    public IReadOnlyDictionary<int, double>? Weights { get; init; }

    /// <summary>Named per-client figures, e.g. <c>krum_score</c>, <c>clip_factor</c>, <c>trimmed_share</c>.</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<int, double>> PerClient { get; init; } = NoFigures;

    /// <summary>Named round-level figures, e.g. the norm bound used.</summary>
    public IReadOnlyDictionary<string, double> Values { get; init; } = NoValues;

    /// <summary>Why the round was not aggregated, or another remark; null when there is none.</summary>
    public string? Note { get; init; }

    /// <summary>The <c>"robust"</c> object of a round line in metrics.jsonl (client ids as keys, non-finite numbers as null).</summary>
    public JsonObject ToJson()
    {
        var json = new JsonObject
        {
            ["rule"] = Rule,
            ["clients"] = Ids(Clients),
        };
        if (Kept is not null)
        {
            json["kept"] = Ids(Kept);
            json["dropped"] = Ids(Dropped);
        }
        if (Weights is not null) json["weights"] = ByClient(Weights);
        foreach (var (name, figures) in PerClient) json[name] = ByClient(figures);
        foreach (var (name, value) in Values) json[name] = MetricsLog.Number(value);
        if (Note is not null) json["note"] = Note;
        return json;
    }

    private static JsonArray Ids(IEnumerable<int> ids) => new([.. ids.Select(id => (JsonNode)id)]);

    private static JsonObject ByClient(IReadOnlyDictionary<int, double> figures) =>
        new(figures.OrderBy(p => p.Key).Select(p => KeyValuePair.Create(p.Key.ToString(CultureInfo.InvariantCulture), MetricsLog.Number(p.Value))));
}
