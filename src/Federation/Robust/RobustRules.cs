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

    public static IReadOnlyList<string> All { get; } =
        [None, Median, TrimmedMean, Krum, MultiKrum, Bulyan, NormBound, Dnc, FoolsGold, Residual];

    /// <summary>
    /// Rules whose output is one synthetic update (a robust estimate of the aggregate) rather than a subset or a
    /// clipped copy of the clients' own updates; strategies that need per-client extras (SCAFFOLD) cannot follow them.
    /// </summary>
    public static IReadOnlyList<string> Synthetic { get; } = [Median, TrimmedMean, Bulyan, FoolsGold, Residual];

    /// <summary>The canonical (lower-case) name, or null when <paramref name="name"/> is not a rule.</summary>
    public static string? Normalize(string? name)
    {
        if (name is null) return null;
        string trimmed = name.Trim().Replace('-', '_');
        return All.FirstOrDefault(n => string.Equals(n, trimmed, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>The canonical name, or an exception naming <paramref name="key"/> and every valid name.</summary>
    public static string Parse(string? name, string key = "robust.rule") =>
        Normalize(name) ?? throw new ArgumentException(UnknownMessage(name, key));

    internal static string UnknownMessage(string? name, string key) =>
        $"{key} '{name}' is unknown (valid: {string.Join(", ", All)})";
}
