using System.Globalization;
using FedLlm.Foundation.Configuration;

namespace FedLlm.Federation.Strategies;

/// <summary>
/// The one list of algorithm names: each strategy declares its <see cref="StrategyKind"/> (name, summary, capabilities,
/// constructor) next to its update rule, and this registry only collects them. Everything else asks a strategy's
/// <see cref="StrategyCapabilities"/>, never its name.
/// </summary>
public static class StrategyRegistry
{
    public static IReadOnlyList<StrategyKind> All { get; } =
    [
        FedAvgStrategy.Kind, FedProxStrategy.Kind, ScaffoldStrategy.Kind, FedAvgMStrategy.Kind,
        FedAdagradStrategy.Kind, FedYogiStrategy.Kind, FedAdamStrategy.Kind, LocalOnlyStrategy.Kind, CentralStrategy.Kind,
    ];

    /// <summary>The config spelling of <c>strategy.algorithm</c> (case-insensitive).</summary>
    public static NamedValues<StrategyKind> Names { get; } = new([.. All.Select(k => (k.Name, k))]);

    /// <summary>The algorithm named <paramref name="name"/>; the error lists the valid names.</summary>
    public static StrategyKind Find(string? name) => Names.Parse(name, "strategy.algorithm");

    public static ServerStrategy Create(StrategyOptions options)
    {
        ThrowIfInvalid(options);
        return Find(options.Algorithm).Create(options);
    }

    public static void ThrowIfInvalid(StrategyOptions options)
    {
        IReadOnlyList<string> problems = Validate(options);
        if (problems.Count > 0) throw new StrategyConfigurationException(problems);
    }

    /// <summary>
    /// Every problem with the strategy's own options, each naming its config key; empty when valid. Rounds and the client
    /// learning rate belong to the run and its trainer, so <see cref="FedLlm.Federation.Configuration.RunConfig.Validate"/> checks them once.
    /// </summary>
    public static IReadOnlyList<string> Validate(StrategyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = new List<string>();
        bool known = Names.TryParse(options.Algorithm, out StrategyKind? kind);
        if (!known) problems.Add(Names.Problem(options.Algorithm, "strategy.algorithm")!);
        if (options.TotalClients <= 0) problems.Add($"the federation needs at least one client (got {options.TotalClients})");
        if (options.ClientsPerRound is int k)
        {
            if (k <= 0) problems.Add($"strategy.clients_per_round must be > 0 (got {k})");
            else if (options.TotalClients > 0 && k > options.TotalClients)
                problems.Add($"strategy.clients_per_round ({k}) is larger than the {options.TotalClients} clients of the federation");
            if (options.ClientFraction is not null) problems.Add("give strategy.clients_per_round or strategy.client_fraction, not both");
        }
        if (options.ClientFraction is double fraction && !(fraction > 0 && fraction <= 1))
            problems.Add($"strategy.client_fraction must be in (0, 1] (got {Format(fraction)})");
        if (!(options.ProximalMu >= 0) || double.IsInfinity(options.ProximalMu))
            problems.Add($"strategy.proximal_mu must be a finite number >= 0 (got {Format(options.ProximalMu)})");
        if (options.ServerLearningRate is double eta) RequirePositive(problems, "strategy.server_learning_rate", eta);
        if (options.Beta1 is double beta1) RequireBeta(problems, "strategy.beta1", beta1);
        RequireBeta(problems, "strategy.beta2", options.Beta2);
        if (!(options.Tau > 0) || double.IsInfinity(options.Tau)) problems.Add($"strategy.tau must be a finite number > 0 (got {Format(options.Tau)})");
        if (options.LocalClientId is int local)
        {
            if (known && kind!.Capabilities.Baseline != BaselineKind.LocalOnly)
                problems.Add($"a single local client applies only to the '{LocalOnlyStrategy.Kind.Name}' algorithm (got '{kind.Name}')");
            if (local < 0 || (options.TotalClients > 0 && local >= options.TotalClients))
                problems.Add($"local client id {local} is outside [0, {options.TotalClients})");
        }
        return problems;
    }

    private static void RequirePositive(List<string> problems, string key, double value)
    {
        if (!(value > 0) || double.IsInfinity(value)) problems.Add($"{key} must be a finite number > 0 (got {Format(value)})");
    }

    private static void RequireBeta(List<string> problems, string key, double value)
    {
        if (!(value >= 0 && value < 1)) problems.Add($"{key} must be in [0, 1) (got {Format(value)})");
    }

    private static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
