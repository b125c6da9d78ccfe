using System.Globalization;

namespace FedLlm.Federation.Strategies;

/// <summary>Builds a <see cref="ServerStrategy"/> from <see cref="StrategyOptions"/>, validating it first.</summary>
public static class StrategyFactory
{
    public static ServerStrategy Create(StrategyOptions options)
    {
        ThrowIfInvalid(options);
        return StrategyNames.Normalize(options.Algorithm) switch
        {
            StrategyNames.FedAvg => new FedAvgStrategy(options),
            StrategyNames.FedProx => new FedProxStrategy(options),
            StrategyNames.Scaffold => new ScaffoldStrategy(options),
            StrategyNames.FedAvgM => new FedAvgMStrategy(options),
            StrategyNames.FedAdagrad => new FedAdagradStrategy(options),
            StrategyNames.FedYogi => new FedYogiStrategy(options),
            StrategyNames.FedAdam => new FedAdamStrategy(options),
            StrategyNames.Local => new LocalOnlyStrategy(options),
            StrategyNames.Central => new CentralStrategy(options),
            _ => throw new InvalidOperationException("unreachable: validated algorithm name"),
        };
    }

    public static void ThrowIfInvalid(StrategyOptions options)
    {
        IReadOnlyList<string> problems = Validate(options);
        if (problems.Count > 0)
        {
            throw new StrategyConfigurationException(problems);
        }
    }

    /// <summary>Every problem with the configuration, as messages naming the option; empty when valid.</summary>
    public static IReadOnlyList<string> Validate(StrategyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = new List<string>();
        string? algorithm = StrategyNames.Normalize(options.Algorithm);
        if (algorithm is null)
        {
            problems.Add($"unknown algorithm '{options.Algorithm}'; valid names are: {string.Join(", ", StrategyNames.All)}.");
        }
        if (options.TotalClients <= 0)
        {
            problems.Add($"total clients must be > 0 (got {options.TotalClients}).");
        }
        if (options.ClientsPerRound is int k)
        {
            if (k <= 0)
            {
                problems.Add($"clients per round must be > 0 (got {k}).");
            }
            else if (options.TotalClients > 0 && k > options.TotalClients)
            {
                problems.Add($"clients per round ({k}) exceeds total clients ({options.TotalClients}).");
            }
            if (options.ClientFraction is not null)
            {
                problems.Add("set either clients per round or client fraction, not both.");
            }
        }
        if (options.ClientFraction is double fraction && !(fraction > 0 && fraction <= 1))
        {
            problems.Add($"client fraction must be in (0, 1] (got {Format(fraction)}).");
        }
        if (options.TotalRounds <= 0)
        {
            problems.Add($"total rounds must be > 0 (got {options.TotalRounds}).");
        }
        RequirePositive(problems, "learning rate", options.LearningRate);
        if (!(options.MinLearningRate >= 0) || double.IsInfinity(options.MinLearningRate))
        {
            problems.Add($"minimum learning rate must be a finite number >= 0 (got {Format(options.MinLearningRate)}).");
        }
        else if (options.LearningRateSchedule == LearningRateScheduleKind.Cosine && options.MinLearningRate > options.LearningRate)
        {
            problems.Add($"minimum learning rate ({Format(options.MinLearningRate)}) exceeds the learning rate ({Format(options.LearningRate)}).");
        }
        if (!Enum.IsDefined(options.LearningRateSchedule))
        {
            problems.Add($"unknown learning-rate schedule {options.LearningRateSchedule}; valid: {string.Join(", ", Enum.GetNames<LearningRateScheduleKind>())}.");
        }
        if (!(options.ProximalMu >= 0) || double.IsInfinity(options.ProximalMu))
        {
            problems.Add($"FedProx mu must be a finite number >= 0 (got {Format(options.ProximalMu)}).");
        }
        if (options.ServerLearningRate is double eta)
        {
            RequirePositive(problems, "server learning rate", eta);
        }
        if (options.Beta1 is double beta1)
        {
            RequireBeta(problems, "beta1", beta1);
        }
        RequireBeta(problems, "beta2", options.Beta2);
        if (!(options.Tau > 0) || double.IsInfinity(options.Tau))
        {
            problems.Add($"tau must be a finite number > 0 (got {Format(options.Tau)}).");
        }
        if (!Enum.IsDefined(options.FedOptWeighting))
        {
            problems.Add($"unknown FedOpt weighting {options.FedOptWeighting}.");
        }
        if (!Enum.IsDefined(options.MomentumForm))
        {
            problems.Add($"unknown FedAvgM form {options.MomentumForm}.");
        }
        if (options.LocalClientId is int local)
        {
            if (algorithm is not null && algorithm != StrategyNames.Local)
            {
                problems.Add($"local client id applies only to the '{StrategyNames.Local}' algorithm (got '{algorithm}').");
            }
            if (local < 0 || (options.TotalClients > 0 && local >= options.TotalClients))
            {
                problems.Add($"local client id {local} is outside [0, {options.TotalClients}).");
            }
        }
        return problems;
    }

    private static void RequirePositive(List<string> problems, string what, double value)
    {
        if (!(value > 0) || double.IsInfinity(value))
        {
            problems.Add($"{what} must be a finite number > 0 (got {Format(value)}).");
        }
    }

    private static void RequireBeta(List<string> problems, string what, double value)
    {
        if (!(value >= 0 && value < 1))
        {
            problems.Add($"{what} must be in [0, 1) (got {Format(value)}).");
        }
    }

    private static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
