namespace FedLlm.Federation.Strategies;

/// <summary>The algorithm names accepted by <see cref="StrategyFactory"/> (case-insensitive).</summary>
public static class StrategyNames
{
    public const string FedAvg = "fedavg";
    public const string FedProx = "fedprox";
    public const string Scaffold = "scaffold";
    public const string FedAvgM = "fedavgm";
    public const string FedAdagrad = "fedadagrad";
    public const string FedYogi = "fedyogi";
    public const string FedAdam = "fedadam";
    public const string Local = "local";
    public const string Central = "central";

    public static IReadOnlyList<string> All { get; } =
        [FedAvg, FedProx, Scaffold, FedAvgM, FedAdagrad, FedYogi, FedAdam, Local, Central];

    /// <summary>The canonical (lower-case) name, or null when <paramref name="name"/> is not an algorithm.</summary>
    public static string? Normalize(string? name)
    {
        if (name is null)
        {
            return null;
        }
        string trimmed = name.Trim();
        return All.FirstOrDefault(n => string.Equals(n, trimmed, StringComparison.OrdinalIgnoreCase));
    }
}
