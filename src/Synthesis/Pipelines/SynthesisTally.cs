using System.Text.Json.Nodes;

namespace FedLlm.Synthesis.Pipelines;

/// <summary>
/// What happened to a pipeline's generations, stage by stage, for its report and metrics line: how many were asked
/// for, how many could not be parsed, were near-duplicates, failed a filter or a grade, and how many were kept, with
/// the first few reasons for each kind of drop so a bad prompt or generator shows itself.
/// </summary>
public sealed class SynthesisTally
{
    private const int ReasonsKept = 3;
    private readonly Dictionary<string, List<string>> _reasons = [];

    public int Prompts { get; set; }
    public int Unparsable { get; private set; }
    public int Duplicates { get; private set; }
    public int Filtered { get; private set; }
    public int BelowGrade { get; private set; }
    public int Kept { get; set; }

    public void DropUnparsable(string reason) => Note(nameof(Unparsable), reason, () => Unparsable++);

    public void DropDuplicate(string reason) => Note(nameof(Duplicates), reason, () => Duplicates++);

    public void DropFiltered(string reason) => Note(nameof(Filtered), reason, () => Filtered++);

    public void DropBelowGrade(string reason) => Note(nameof(BelowGrade), reason, () => BelowGrade++);

    /// <summary>The first reasons recorded for a kind of drop (Unparsable, Duplicates, Filtered, BelowGrade).</summary>
    public IReadOnlyList<string> ReasonsFor(string kind) => _reasons.TryGetValue(kind, out var list) ? list : [];

    /// <summary>Adds another tally's counts (one client's into a run's).</summary>
    public void Add(SynthesisTally other)
    {
        Prompts += other.Prompts;
        Kept += other.Kept;
        Unparsable += other.Unparsable;
        Duplicates += other.Duplicates;
        Filtered += other.Filtered;
        BelowGrade += other.BelowGrade;
        foreach (var (kind, reasons) in other._reasons)
            foreach (string reason in reasons) Remember(kind, reason);
    }

    public JsonObject ToJson()
    {
        var reasons = new JsonObject();
        foreach (var (kind, list) in _reasons.OrderBy(p => p.Key, StringComparer.Ordinal))
            reasons[kind.ToLowerInvariant()] = new JsonArray([.. list.Select(r => (JsonNode)r)]);
        return new JsonObject
        {
            ["prompts"] = Prompts,
            ["unparsable"] = Unparsable,
            ["duplicates"] = Duplicates,
            ["filtered"] = Filtered,
            ["below_grade"] = BelowGrade,
            ["kept"] = Kept,
            ["first_reasons"] = reasons,
        };
    }

    /// <summary>One line: "24 prompts → 20 parsed, 3 duplicates, … → 15 kept".</summary>
    public override string ToString() =>
        $"{Prompts} generations: {Unparsable} unparsable, {Duplicates} near-duplicates, {Filtered} filtered, {BelowGrade} below grade, {Kept} kept";

    private void Note(string kind, string reason, Action count)
    {
        count();
        Remember(kind, reason);
    }

    private void Remember(string kind, string reason)
    {
        if (!_reasons.TryGetValue(kind, out var list)) _reasons[kind] = list = [];
        if (list.Count < ReasonsKept) list.Add(reason);
    }
}
