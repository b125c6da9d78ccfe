using FedLlm.Foundation.Configuration;

namespace FedLlm.Federation.Robust;

/// <summary>The robust aggregation rules accepted in <c>robust.rule</c> (case-insensitive); see docs/safety.md.</summary>
public static class RobustRules
{
    public const string None = "none";
    public const string Median = "median";
    public const string TrimmedMean = "trimmed_mean";
    public const string Krum = "krum";
    public const string MultiKrum = "multi_krum";
    public const string Bulyan = "bulyan";
    public const string NormBound = "norm_bound";
    public const string Dnc = "dnc";
    public const string FoolsGold = "foolsgold";
    public const string Residual = "residual";

    /// <summary>The one parser of <c>robust.rule</c>: case-insensitive, dashes read as underscores.</summary>
    public static readonly NamedValues<string> Names = new(
        (None, None), (Median, Median), (TrimmedMean, TrimmedMean), ("trimmed-mean", TrimmedMean), (Krum, Krum), (MultiKrum, MultiKrum),
        ("multi-krum", MultiKrum), (Bulyan, Bulyan), (NormBound, NormBound), ("norm-bound", NormBound), (Dnc, Dnc), (FoolsGold, FoolsGold),
        (Residual, Residual));

    public static IReadOnlyList<string> All => Names.Names;

    /// <summary>
    /// Rules whose output is one synthetic update (a robust estimate of the aggregate) rather than a subset or a
    /// clipped copy of the clients' own updates; strategies that need per-client extras (SCAFFOLD) cannot follow them.
    /// </summary>
    public static IReadOnlyList<string> Synthetic { get; } = [Median, TrimmedMean, Bulyan, FoolsGold, Residual];

    /// <summary>The canonical (lower-case) name, or null when <paramref name="name"/> is not a rule.</summary>
    public static string? Normalize(string? name) => Names.TryParse(name, out string? rule) ? rule : null;

    /// <summary>The canonical name, or an exception naming <paramref name="key"/> and every valid name.</summary>
    public static string Parse(string? name, string key = "robust.rule") => Names.Parse(name, key);

    internal static string UnknownMessage(string? name, string key) => Names.Problem(name, key)!;
}
