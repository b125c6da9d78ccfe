using FedLlm.Foundation.Randomness;
using FedLlm.Synthesis.Budget;
using FedLlm.Synthesis.Output;
using FedLlm.Synthesis.Pipelines;
using FedLlm.Synthesis.Prompts;
using FedLlm.Synthesis.Similarity;
using Microsoft.Extensions.AI;

namespace FedLlm.Synthesis.FedGc;

/// <summary>
/// FedGC's generation step for one client (Ye et al., arXiv 2312.05807), before federated training: the client's budget
/// is split over the categories by the allocation policy; each row's prompt comes from the prompt design (one template,
/// several in turn, or prompts the generator wrote) and carries the guidance (the category prompt, k of the client's
/// real examples of that category, or both); pairs that cannot be parsed, copy one of the client's real instructions or
/// repeat an earlier generated one are dropped. Rows are tagged <c>fedgc</c> with their category, to be mixed with the
/// client's real data; whatever strategy follows runs unchanged.
/// </summary>
public sealed class FedGcAugmenter(IChatClient generator, FedGcOptions options)
{
    public const string Origin = "fedgc";

    /// <summary>Records without a category count as this one.</summary>
    public const string Uncategorised = "general";

    /// <summary>The client's budget: <see cref="FedGcOptions.Budget"/>, or mix_ratio × its real rows.</summary>
    public int BudgetFor(int realRows) => options.MixRatio is double ratio ? (int)Math.Round(ratio * realRows, MidpointRounding.AwayFromZero) : options.Budget;

    /// <param name="client">The client's name, for row sources (<c>fedgc:NAME#i</c>) and errors.</param>
    /// <param name="coordinates">Seed coordinates (the client id), so each client samples its own prompts and examples.</param>
    public async Task<SynthesisResult> AugmentAsync(IReadOnlyList<LabelledPair> real, string client, ulong seed, long[] coordinates,
        CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(real);
        var tally = new SynthesisTally();
        var plan = Plan(real, BudgetFor(real.Count));
        if (plan.Count == 0) return new SynthesisResult([], tally);

        var written = options.PromptDesignKind == FedGcPromptDesign.Generated
            ? await WrittenPromptsAsync(plan.Select(p => p.Category).Distinct().ToList(), seed, coordinates, cancellation).ConfigureAwait(false)
            : null;
        var byCategory = real.GroupBy(r => r.Category).ToDictionary(g => g.Key, g => g.ToList());
        var prompts = plan.Select((slot, i) => Prompt(slot, i, byCategory.GetValueOrDefault(slot.Category) ?? [], written, seed, coordinates)).ToList();
        var generations = await GenerationBatch.GenerateAsync(generator, prompts, options.Sampling, seed, Origin, coordinates: coordinates,
            cancellation: cancellation).ConfigureAwait(false);

        tally.Prompts = prompts.Count;
        var pairs = Parsed.Pairs(generations, tally);
        var parsed = Enumerable.Range(0, plan.Count).Where(i => pairs[i] is not null).ToList();
        var notCopies = new SeedSimilarityFilter(options.DuplicateThreshold)
            .Filter([.. real.Select(r => r.Pair.Instruction)], [.. parsed.Select(i => pairs[i]!.Instruction)]);
        var fresh = new List<int>();
        foreach (var verdict in notCopies)
        {
            if (verdict.Kept) fresh.Add(parsed[verdict.Index]);
            else tally.DropFiltered($"row {parsed[verdict.Index] + 1}: {verdict.Reason?.Replace("seed", "real example", StringComparison.Ordinal)}");
        }
        var rows = new List<SyntheticExample>();
        foreach (var verdict in new NearDuplicateFilter(options.DuplicateThreshold).Filter([.. fresh.Select(i => pairs[i]!.Instruction)]))
        {
            int i = fresh[verdict.Index];
            if (!verdict.Kept) tally.DropDuplicate($"row {i + 1}: {verdict.Reason}");
            else rows.Add(new SyntheticExample(pairs[i]!.Instruction, pairs[i]!.Response, Origin, $"{Origin}:{client}#{i}") { Category = plan[i].Category });
        }
        tally.Kept = rows.Count;
        return new SynthesisResult(rows, tally);
    }

    private sealed record Slot(string Category, int IndexInCategory, bool HasExamples);

    /// <summary>
    /// One slot per row to generate, category by category. Examples-only guidance cannot write for a category the client
    /// has no example of, so such categories get no share of the budget.
    /// </summary>
    private List<Slot> Plan(IReadOnlyList<LabelledPair> real, int budget)
    {
        var counts = real.GroupBy(r => r.Category).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var categories = options.CategoryNames.Count > 0 ? options.CategoryNames.ToList() : [.. counts.Keys.Order(StringComparer.Ordinal)];
        if (options.GuidanceKind == FedGcGuidance.Examples) categories = [.. categories.Where(c => counts.GetValueOrDefault(c) > 0)];
        if (budget == 0 || categories.Count == 0) return [];
        int[] shares = BudgetPolicy.Allocate(options.Allocation, budget, [.. categories.Select(c => counts.GetValueOrDefault(c))]);
        var plan = new List<Slot>(budget);
        for (int c = 0; c < categories.Count; c++)
            for (int j = 0; j < shares[c]; j++) plan.Add(new Slot(categories[c], j, counts.GetValueOrDefault(categories[c]) > 0));
        return plan;
    }

    private string Prompt(Slot slot, int index, List<LabelledPair> own, IReadOnlyDictionary<string, string[]>? written, ulong seed, long[] coordinates)
    {
        var guidance = options.GuidanceKind;
        string examples = guidance == FedGcGuidance.Prompt || own.Count == 0 ? "" : GuidanceExamples(own, seed, [.. coordinates, index]);
        if (guidance == FedGcGuidance.Examples) return Load(options.ExamplesPrompt).Render(new Dictionary<string, string> { ["examples"] = examples });
        if (written is not null)
        {
            string[] mine = written[slot.Category];
            return Load(options.WrittenPromptWrapper).Render(new Dictionary<string, string>
            {
                ["prompt"] = mine[slot.IndexInCategory % mine.Length], ["examples"] = examples,
            });
        }
        var names = options.TemplateNames;
        string template = options.PromptDesignKind == FedGcPromptDesign.Single ? names[0] : names[slot.IndexInCategory % names.Count];
        return Load(template).Render(new Dictionary<string, string> { ["category"] = slot.Category, ["examples"] = examples });
    }

    /// <summary>k of the client's real examples of the category, a seeded sample per row.</summary>
    private string GuidanceExamples(List<LabelledPair> own, ulong seed, long[] coordinates)
    {
        int[] order = [.. Enumerable.Range(0, own.Count)];
        Xoshiro256StarStar.ForPurpose(seed, "fedgc-guidance", coordinates).Shuffle(order.AsSpan());
        return Templates.Examples(Load(options.ExamplePrompt), order.Take(options.K).Select(i => (own[i].Pair.Instruction, own[i].Pair.Response)));
    }

    /// <summary>
    /// The generator-written prompts per category (FedGC's third prompt design). A blank answer falls back to the first
    /// template, so a weak generator degrades to the single-template design instead of failing.
    /// </summary>
    private async Task<IReadOnlyDictionary<string, string[]>> WrittenPromptsAsync(List<string> categories, ulong seed, long[] coordinates,
        CancellationToken cancellation)
    {
        var writer = Load(options.WriterPrompt);
        var asks = categories.SelectMany(c => Enumerable.Repeat(c, options.WrittenPrompts)).ToList();
        var answers = await GenerationBatch.GenerateAsync(generator, [.. asks.Select(c => writer.Render(new Dictionary<string, string> { ["category"] = c }))],
            options.Sampling, seed, Origin + "-writer", coordinates: coordinates, cancellation: cancellation).ConfigureAwait(false);
        var fallback = Load(options.TemplateNames[0]);
        return categories.ToDictionary(c => c, c => asks.Select((ask, i) => (ask, i)).Where(a => a.ask == c)
            .Select(a => string.IsNullOrWhiteSpace(answers[a.i])
                ? fallback.Render(new Dictionary<string, string> { ["category"] = c, ["examples"] = "" })
                : answers[a.i].Trim())
            .ToArray());
    }

    private readonly Dictionary<string, PromptTemplate> _templates = [];

    private PromptTemplate Load(string nameOrPath)
    {
        if (!_templates.TryGetValue(nameOrPath, out var template)) _templates[nameOrPath] = template = PromptTemplate.Load(nameOrPath);
        return template;
    }
}
