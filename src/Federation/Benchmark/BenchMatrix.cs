using System.Globalization;
using FedLlm.Federation.Strategies;

namespace FedLlm.Federation.Benchmark;

/// <summary>
/// A benchmark matrix (<c>fedllm bench --matrix FILE</c>; YAML keys are the snake_case names): methods × datasets ×
/// seeds over one base run config. Each cell is the base config with the matrix's <see cref="Set"/>, then the dataset's,
/// then the method's overrides and the seed, run as a normal run folder. Format and defaults: docs/benchmark.md.
/// </summary>
public sealed record BenchMatrix
{
    public string Name { get; init; } = "bench";
    /// <summary>Where the matrix folder goes: its cells, results and reports live in <c>output_directory/name</c>.</summary>
    public string OutputDirectory { get; init; } = "runs";
    /// <summary>The run config every cell starts from (any file <c>fedllm simulate</c> takes); none: the defaults.</summary>
    public string? Base { get; init; }
    /// <summary>Config overrides for every cell, as dotted keys (e.g. rounds: 3, training.max_steps: 2).</summary>
    public Dictionary<string, string> Set { get; init; } = [];
    /// <summary>The rows of the result tables: a name and its overrides (a name alone that is an algorithm sets strategy.algorithm).</summary>
    public List<BenchAxisEntry> Methods { get; init; } = [];
    /// <summary>The columns of the result tables: a name and its overrides (data.path, split, …).</summary>
    public List<BenchAxisEntry> Datasets { get; init; } = [];
    /// <summary>Each cell runs once per seed; tables show mean ± standard deviation over them.</summary>
    public List<ulong> Seeds { get; init; } = [42];
    /// <summary>The tables to make (default: every one the cells produced); see <see cref="BenchMetrics"/>.</summary>
    public List<string> Metrics { get; init; } = [];
    /// <summary>Refuse to start when a cell's estimated peak memory exceeds this many GiB (none: no check).</summary>
    public double? MemoryBudgetGb { get; init; }

    public string Directory => Path.Combine(OutputDirectory, Name);

    /// <summary>Every cell, method-major then dataset then seed: the order they run in.</summary>
    public IReadOnlyList<BenchCell> Cells() =>
        [.. from method in Methods from dataset in Datasets from seed in Seeds select new BenchCell(method.Name, dataset.Name, seed, Overrides(method, dataset, seed))];

    /// <summary>Matrix, then dataset, then method overrides, then the seed: later ones win.</summary>
    private List<string> Overrides(BenchAxisEntry method, BenchAxisEntry dataset, ulong seed)
    {
        var overrides = Set.Select(Assignment).Concat(dataset.Set.Select(Assignment)).ToList();
        overrides.AddRange(method.Set.Count == 0 && StrategyRegistry.Names.TryParse(method.Name, out _)
            ? ["strategy.algorithm=" + method.Name]
            : method.Set.Select(Assignment));
        overrides.Add("seed=" + seed.ToString(CultureInfo.InvariantCulture));
        return overrides;
    }

    private static string Assignment(KeyValuePair<string, string> entry) => $"{entry.Key}={entry.Value}";

    /// <summary>Every problem of the matrix on its own, each naming its key.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(Name) || Name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0) problems.Add($"name '{Name}' must be a plain folder name");
        if (Methods.Count == 0) problems.Add("methods: list at least one method");
        if (Datasets.Count == 0) problems.Add("datasets: list at least one dataset");
        if (Seeds.Count == 0) problems.Add("seeds: list at least one seed");
        if (Seeds.Distinct().Count() != Seeds.Count) problems.Add("seeds: a seed is listed twice");
        if (Base is not null && !File.Exists(Base)) problems.Add($"base: {Base} does not exist");
        if (MemoryBudgetGb is <= 0) problems.Add($"memory_budget_gb must be positive, got {MemoryBudgetGb}");
        foreach (var (axis, entries) in new[] { ("methods", Methods), ("datasets", Datasets) })
        {
            for (int i = 0; i < entries.Count; i++)
            {
                if (string.IsNullOrWhiteSpace(entries[i].Name) || entries[i].Name.IndexOfAny(['/', '\\', ' ']) >= 0)
                    problems.Add($"{axis}[{i}].name '{entries[i].Name}' must be a short name without spaces or slashes");
                if (axis == "methods" && entries[i].Set.Count == 0 && !StrategyRegistry.Names.TryParse(entries[i].Name, out _))
                    problems.Add($"methods[{i}] ({entries[i].Name}): give its overrides in set: (the name is not an algorithm: {string.Join(", ", StrategyRegistry.Names.Names)})");
            }
            foreach (var duplicate in entries.GroupBy(e => e.Name).Where(g => g.Count() > 1)) problems.Add($"{axis}: the name '{duplicate.Key}' is used twice");
        }
        foreach (string metric in Metrics.Where(m => !BenchMetrics.Known.Any(k => k.Name == m)))
            problems.Add($"metrics: '{metric}' is unknown (valid: {string.Join(", ", BenchMetrics.Known.Select(k => k.Name))})");
        return problems;
    }
}

/// <summary>A method or a dataset of the matrix: its name in the tables and the config overrides it stands for.</summary>
public sealed record BenchAxisEntry
{
    public string Name { get; init; } = "";
    public Dictionary<string, string> Set { get; init; } = [];
}

/// <summary>One run of the matrix: a method on a dataset with a seed, and the overrides that make its config.</summary>
public sealed record BenchCell(string Method, string Dataset, ulong Seed, IReadOnlyList<string> Overrides)
{
    /// <summary>The cell's run folder name (and its config's name).</summary>
    public string Name => $"{Method}__{Dataset}__seed{Seed.ToString(CultureInfo.InvariantCulture)}";
}
