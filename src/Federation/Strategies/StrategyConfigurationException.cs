namespace FedLlm.Federation.Strategies;

/// <summary>Thrown before training when a strategy configuration is invalid; lists every problem found.</summary>
public sealed class StrategyConfigurationException : Exception
{
    public StrategyConfigurationException(IReadOnlyList<string> problems)
        : base(Describe(problems)) => Problems = problems;

    public StrategyConfigurationException()
        : this(["invalid strategy configuration"])
    {
    }

    public StrategyConfigurationException(string message)
        : this([message])
    {
    }

    public StrategyConfigurationException(string message, Exception innerException)
        : base(message, innerException) => Problems = [message];

    public IReadOnlyList<string> Problems { get; }

    private static string Describe(IReadOnlyList<string> problems) =>
        problems.Count == 1
            ? "Invalid strategy configuration: " + problems[0]
            : "Invalid strategy configuration:" + string.Concat(problems.Select(p => Environment.NewLine + "  - " + p));
}
