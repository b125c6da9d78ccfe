using System.Globalization;
using FedLlm.Federation.Strategies;

namespace FedLlm.Federation.Robust;

/// <summary>
/// The <c>robust:</c> config section (YAML keys are the snake_case property names). <c>rule</c> picks one of
/// <see cref="RobustRules.All"/>; unset parameters take the defaults below (docs/safety.md gives their sources), and a
/// parameter that the chosen rule does not use is reported rather than silently ignored.
/// <code>
/// robust: {rule: krum, f: 1}
/// robust: {rule: trimmed_mean, beta: 0.34}
/// robust: {rule: dnc, f: 1, dnc_iterations: 1, dnc_filter_factor: 1, dnc_sampled_dimensions: 10000}
/// </code>
/// </summary>
public sealed record RobustSection
{
    public const int DefaultF = 1;
    public const double DefaultBeta = 0.2;
    public const double DefaultNormBoundFactor = 1.0;
    public const int DefaultDncIterations = 1;
    public const double DefaultDncFilterFactor = 1.0;
    public const int DefaultDncSampledDimensions = 10_000;
    public const double DefaultFoolsgoldKappa = 1.0;
    public const double DefaultResidualLambda = 2.0;
    public const double DefaultResidualThreshold = 0.05;

    /// <summary>One of <see cref="RobustRules.All"/>, case-insensitive; <c>none</c> hands the raw updates to the strategy.</summary>
    public string Rule { get; init; } = RobustRules.None;

    /// <summary>f: malicious clients assumed per round (krum, multi_krum, bulyan, dnc); default 1.</summary>
    public int? F { get; init; }

    /// <summary>β: fraction trimmed from each end (trimmed_mean), in [0, 0.5); default 0.2 (Flower's FedTrimmedAvg).</summary>
    public double? Beta { get; init; }

    /// <summary>m: updates Multi-Krum keeps; default n − f.</summary>
    public int? MultiKrumM { get; init; }

    /// <summary>A fixed bound M on ‖Δ_i‖ (norm_bound).</summary>
    public double? NormBound { get; init; }

    /// <summary>M = factor × the round's median ‖Δ_i‖ (norm_bound); default 1 when norm_bound is not given.</summary>
    public double? NormBoundFactor { get; init; }

    /// <summary>DnC iterations (niters); default 1.</summary>
    public int? DncIterations { get; init; }

    /// <summary>DnC c: each iteration removes ⌊c·f⌋ clients; default 1.</summary>
    public double? DncFilterFactor { get; init; }

    /// <summary>DnC b: coordinates sampled per iteration; default 10,000.</summary>
    public int? DncSampledDimensions { get; init; }

    /// <summary>FoolsGold κ; default 1.</summary>
    public double? FoolsgoldKappa { get; init; }

    /// <summary>Residual reweighting λ; default 2.</summary>
    public double? ResidualLambda { get; init; }

    /// <summary>Residual reweighting threshold δ; default 0.05.</summary>
    public double? ResidualThreshold { get; init; }

    public bool Enabled => RobustRules.Normalize(Rule) is not (null or RobustRules.None);

    /// <summary>Why a robust rule and client-level DP (DP-FedAvg) do not combine.</summary>
    public const string ClientDpConflict =
        "client-level DP bounds each client's contribution to a mean over the sampled clients, and a rule that drops, " +
        "reweights or replaces updates changes that sensitivity, so the accountant's ε would no longer hold";

    /// <summary>
    /// Every problem of the section for rounds of <paramref name="clientsPerRound"/> clients (≤ 0: not known yet, so the
    /// count checks wait for <see cref="RoundSizeProblems"/>), and, when <paramref name="algorithm"/> is given, whether
    /// that strategy can follow the rule; <paramref name="clientLevelDp"/> says the run uses privacy.mode client_dp,
    /// which no rule combines with. Messages name the config key. Empty when valid or disabled.
    /// </summary>
    public IReadOnlyList<string> Validate(int clientsPerRound, string? algorithm = null, bool clientLevelDp = false)
    {
        var problems = new List<string>();
        string? rule = RobustRules.Normalize(Rule);
        if (rule is null)
        {
            problems.Add(RobustRules.UnknownMessage(Rule, "robust.rule"));
            return problems;
        }
        ReportUnused(problems, rule);
        if (rule == RobustRules.None) return problems;
        int f = F ?? DefaultF;
        if (F is < 0) problems.Add($"robust.f must be >= 0, got {F}");
        switch (rule)
        {
            case RobustRules.TrimmedMean:
                double beta = Beta ?? DefaultBeta;
                if (!(beta >= 0 && beta < 0.5)) problems.Add($"robust.beta must be in [0, 0.5), got {Format(beta)}");
                break;
            case RobustRules.Krum or RobustRules.MultiKrum:
                if (MultiKrumM is < 1) problems.Add($"robust.multi_krum_m ({MultiKrumM}) must be at least 1");
                break;
            case RobustRules.NormBound:
                if (NormBound is not null && NormBoundFactor is not null) problems.Add("robust: give norm_bound or norm_bound_factor, not both");
                if (NormBound is double bound && !(bound > 0 && double.IsFinite(bound))) problems.Add($"robust.norm_bound must be finite and > 0, got {Format(bound)}");
                if (NormBoundFactor is double factor && !(factor > 0 && double.IsFinite(factor))) problems.Add($"robust.norm_bound_factor must be finite and > 0, got {Format(factor)}");
                break;
            case RobustRules.Dnc:
                ValidateDnc(problems, f);
                break;
            case RobustRules.FoolsGold:
                if (FoolsgoldKappa is double kappa && !(kappa > 0 && double.IsFinite(kappa))) problems.Add($"robust.foolsgold_kappa must be finite and > 0, got {Format(kappa)}");
                break;
            case RobustRules.Residual:
                if (ResidualLambda is double lambda && !(lambda > 0 && double.IsFinite(lambda))) problems.Add($"robust.residual_lambda must be finite and > 0, got {Format(lambda)}");
                if (ResidualThreshold is double delta && !(delta >= 0 && delta < 1)) problems.Add($"robust.residual_threshold must be in [0, 1), got {Format(delta)}");
                break;
        }
        problems.AddRange(RoundSizeProblems(clientsPerRound));
        if (algorithm is not null) ValidateStrategy(problems, rule, algorithm);
        if (clientLevelDp) problems.Add($"robust.rule {rule} cannot be combined with privacy.mode client_dp: {ClientDpConflict}");
        return problems;
    }

    /// <summary>
    /// Only the checks that need the round size n (none when n ≤ 0 or the rule's own values are invalid, which
    /// <see cref="Validate"/> reports): a federation whose size is known late (a natural split, a server's members)
    /// runs these alone, so nothing <see cref="Validate"/> said is said twice.
    /// </summary>
    public IReadOnlyList<string> RoundSizeProblems(int clientsPerRound)
    {
        var problems = new List<string>();
        int n = clientsPerRound;
        if (n <= 0 || RobustRules.Normalize(Rule) is not { } rule) return problems;
        string perRound = $"{n} clients per round";
        int f = F ?? DefaultF;
        switch (rule)
        {
            case RobustRules.TrimmedMean:
                double beta = Beta ?? DefaultBeta;
                if (beta >= 0 && beta < 0.5 && TrimmedMeanAggregator.TrimmedPerSide(beta, n) == 0)
                    problems.Add($"robust.beta ({Format(beta)}) trims no update with {perRound} (⌊β·n⌋ = 0); use at least {Format(1.0 / n)}");
                break;
            case RobustRules.Krum or RobustRules.MultiKrum:
                string name = rule == RobustRules.Krum ? "Krum" : "Multi-Krum";
                if (f >= 0 && n <= 2 * f + 2) problems.Add($"robust.f ({f}) is too large for {name} with {perRound}: needs n > 2f + 2");
                if (MultiKrumM is int m && m >= 1 && m > n - f)
                    problems.Add($"robust.multi_krum_m ({m}) must be between 1 and n − f ({n - f} with {perRound} and f = {f})");
                break;
            case RobustRules.Bulyan:
                if (f >= 0 && n < 4 * f + 3) problems.Add($"robust.f ({f}) is too large for Bulyan with {perRound}: needs n >= 4f + 3 ({4 * f + 3})");
                break;
            case RobustRules.Dnc:
                double c = DncFilterFactor ?? DefaultDncFilterFactor;
                int removed = c > 0 && double.IsFinite(c) ? DivideAndConquerAggregator.RemovedFor(Math.Max(0, f), c) : 0;
                if (removed > 0 && removed >= n)
                    problems.Add($"robust.f ({f}) × robust.dnc_filter_factor ({Format(c)}) removes {removed} of {n} clients per round: needs ⌊c·f⌋ < n");
                break;
            case RobustRules.Residual:
                if (n < 3) problems.Add($"robust.rule residual needs at least 3 clients per round, got {n}");
                break;
        }
        return problems;
    }

    /// <summary>Throws one exception listing every problem of <see cref="Validate"/>.</summary>
    public void ThrowIfInvalid(int clientsPerRound, string? algorithm = null, bool clientLevelDp = false)
    {
        IReadOnlyList<string> problems = Validate(clientsPerRound, algorithm, clientLevelDp);
        if (problems.Count > 0) throw new StrategyConfigurationException(problems);
    }

    /// <summary>The configured rule, or null for <c>none</c>. <paramref name="runSeed"/> seeds DnC's sampling per round.</summary>
    public RobustAggregator? Create(ulong runSeed)
    {
        ThrowIfInvalid(0);
        int f = F ?? DefaultF;
        return RobustRules.Parse(Rule) switch
        {
            RobustRules.None => null,
            RobustRules.Median => new CoordinateMedianAggregator(),
            RobustRules.TrimmedMean => new TrimmedMeanAggregator(Beta ?? DefaultBeta),
            RobustRules.Krum => KrumAggregator.Krum(f),
            RobustRules.MultiKrum => KrumAggregator.MultiKrum(f, MultiKrumM),
            RobustRules.Bulyan => new BulyanAggregator(f),
            RobustRules.NormBound => NormBound is double bound
                ? NormBoundAggregator.Fixed(bound)
                : NormBoundAggregator.RelativeToMedian(NormBoundFactor ?? DefaultNormBoundFactor),
            RobustRules.Dnc => new DivideAndConquerAggregator(f, runSeed, DncIterations ?? DefaultDncIterations,
                DncFilterFactor ?? DefaultDncFilterFactor, DncSampledDimensions ?? DefaultDncSampledDimensions),
            RobustRules.FoolsGold => new FoolsGoldAggregator(FoolsgoldKappa ?? DefaultFoolsgoldKappa),
            RobustRules.Residual => new ResidualReweightingAggregator(ResidualLambda ?? DefaultResidualLambda, ResidualThreshold ?? DefaultResidualThreshold),
            _ => throw new InvalidOperationException("unreachable: validated rule name"),
        };
    }

    private void ValidateDnc(List<string> problems, int f)
    {
        if (DncIterations is < 1) problems.Add($"robust.dnc_iterations must be >= 1, got {DncIterations}");
        if (DncSampledDimensions is < 1) problems.Add($"robust.dnc_sampled_dimensions must be >= 1, got {DncSampledDimensions}");
        double c = DncFilterFactor ?? DefaultDncFilterFactor;
        if (!(c > 0 && double.IsFinite(c))) problems.Add($"robust.dnc_filter_factor must be finite and > 0, got {Format(c)}");
        else if (DivideAndConquerAggregator.RemovedFor(Math.Max(0, f), c) == 0)
            problems.Add($"robust.f ({f}) × robust.dnc_filter_factor ({Format(c)}) removes no client (⌊c·f⌋ = 0)");
    }

    private static void ValidateStrategy(List<string> problems, string rule, string algorithm)
    {
        if (!StrategyRegistry.Names.TryParse(algorithm, out var kind)) return; // reported under strategy.algorithm
        if (!kind.Capabilities.ExchangesUpdates)
            problems.Add($"robust.rule {rule} cannot be combined with strategy.algorithm '{kind.Name}': that baseline aggregates nothing");
        else if (kind.Capabilities.UpdateExtras.Count > 0 && RobustRules.Synthetic.Contains(rule))
            problems.Add($"robust.rule {rule} cannot be combined with strategy.algorithm '{kind.Name}': it replaces the updates by one estimate, " +
                $"which carries none of {string.Join(", ", kind.Capabilities.UpdateExtras)} (use krum, multi_krum, dnc or norm_bound)");
    }

    /// <summary>A parameter set for a rule that does not read it is almost always a mistake in the config.</summary>
    private void ReportUnused(List<string> problems, string rule)
    {
        void Check(object? value, string key, params string[] usedBy)
        {
            if (value is not null && !usedBy.Contains(rule))
                problems.Add($"robust.{key} applies to rule {string.Join(" or ", usedBy)} only (rule is {rule})");
        }
        Check(F, "f", RobustRules.Krum, RobustRules.MultiKrum, RobustRules.Bulyan, RobustRules.Dnc);
        Check(Beta, "beta", RobustRules.TrimmedMean);
        Check(MultiKrumM, "multi_krum_m", RobustRules.MultiKrum);
        Check(NormBound, "norm_bound", RobustRules.NormBound);
        Check(NormBoundFactor, "norm_bound_factor", RobustRules.NormBound);
        Check(DncIterations, "dnc_iterations", RobustRules.Dnc);
        Check(DncFilterFactor, "dnc_filter_factor", RobustRules.Dnc);
        Check(DncSampledDimensions, "dnc_sampled_dimensions", RobustRules.Dnc);
        Check(FoolsgoldKappa, "foolsgold_kappa", RobustRules.FoolsGold);
        Check(ResidualLambda, "residual_lambda", RobustRules.Residual);
        Check(ResidualThreshold, "residual_threshold", RobustRules.Residual);
    }

    private static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
