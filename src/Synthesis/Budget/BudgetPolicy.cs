namespace FedLlm.Synthesis.Budget;

/// <summary>The budget policy names a config accepts (case-insensitive).</summary>
public static class BudgetPolicy
{
    public const string Equal = "equal";
    public const string InverseFrequency = "inverse_frequency";
    public const string FillToBalance = "fill_to_balance";

    public static IReadOnlyList<string> All { get; } = [Equal, InverseFrequency, FillToBalance];

    /// <summary>The canonical name, or an exception naming <paramref name="key"/> and the valid names.</summary>
    public static string Parse(string? name, string key)
    {
        string? found = name is null ? null : All.FirstOrDefault(p => string.Equals(p, name.Trim().Replace('-', '_'), StringComparison.OrdinalIgnoreCase));
        return found ?? throw new ArgumentException($"{key} '{name}' is unknown (valid: {string.Join(", ", All)})");
    }

    /// <summary>
    /// Splits <paramref name="total"/> by the policy. <paramref name="counts"/> are the existing examples per part (class
    /// or client); <see cref="Equal"/> uses only their number.
    /// </summary>
    public static int[] Allocate(string policy, int total, IReadOnlyList<int> counts) => Parse(policy, "budget policy") switch
    {
        Equal => BudgetAllocator.Equal(total, counts.Count),
        InverseFrequency => BudgetAllocator.InverseFrequency(total, counts),
        _ => BudgetAllocator.FillToBalance(total, counts),
    };
}
