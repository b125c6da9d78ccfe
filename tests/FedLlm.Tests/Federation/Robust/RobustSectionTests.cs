using FedLlm.Federation.Robust;
using FedLlm.Federation.Strategies;

namespace FedLlm.Tests.Federation.Robust;

public class RobustSectionTests
{
    [Theory]
    [InlineData("KRUM", RobustRules.Krum)]
    [InlineData(" trimmed-mean ", RobustRules.TrimmedMean)]
    [InlineData("FoolsGold", RobustRules.FoolsGold)]
    [InlineData("none", RobustRules.None)]
    public void RuleNamesAreCaseInsensitive(string name, string canonical) => Assert.Equal(canonical, RobustRules.Parse(name));

    [Fact]
    public void UnknownRuleListsTheValidNames()
    {
        var error = Assert.Throws<ArgumentException>(() => RobustRules.Parse("krumm"));
        Assert.Equal("robust.rule 'krumm' is unknown (valid: none, median, trimmed_mean, krum, multi_krum, bulyan, norm_bound, dnc, foolsgold, residual)", error.Message);
        Assert.Equal([error.Message], new RobustSection { Rule = "krumm" }.Validate(5));
    }

    [Theory]
    [InlineData("krum", 3, 5, "robust.f (3) is too large for Krum with 5 clients per round: needs n > 2f + 2")]
    [InlineData("krum", 1, 4, "robust.f (1) is too large for Krum with 4 clients per round: needs n > 2f + 2")]
    [InlineData("multi_krum", 2, 6, "robust.f (2) is too large for Multi-Krum with 6 clients per round: needs n > 2f + 2")]
    [InlineData("bulyan", 1, 6, "robust.f (1) is too large for Bulyan with 6 clients per round: needs n >= 4f + 3 (7)")]
    [InlineData("dnc", 3, 3, "robust.f (3) × robust.dnc_filter_factor (1) removes 3 of 3 clients per round: needs ⌊c·f⌋ < n")]
    [InlineData("dnc", 0, 3, "robust.f (0) × robust.dnc_filter_factor (1) removes no client (⌊c·f⌋ = 0)")]
    [InlineData("krum", -1, 5, "robust.f must be >= 0, got -1")]
    public void FTooLargeForTheRoundIsNamed(string rule, int f, int clients, string message) =>
        Assert.Contains(message, new RobustSection { Rule = rule, F = f }.Validate(clients));

    [Fact]
    public void ValidCountsPass()
    {
        Assert.Empty(new RobustSection { Rule = "krum", F = 1 }.Validate(5));
        Assert.Empty(new RobustSection { Rule = "bulyan", F = 1 }.Validate(7));
        Assert.Empty(new RobustSection { Rule = "median" }.Validate(2));
        Assert.Empty(new RobustSection { Rule = "dnc" }.Validate(3));
        Assert.Empty(new RobustSection().Validate(1));
        // The client count may be unknown before the data is split: only count-free checks run.
        Assert.Empty(new RobustSection { Rule = "bulyan", F = 5 }.Validate(0));
    }

    [Fact]
    public void ParameterProblemsNameTheirKeys()
    {
        Assert.Contains("robust.beta must be in [0, 0.5), got 0.5", new RobustSection { Rule = "trimmed_mean", Beta = 0.5 }.Validate(10));
        Assert.Contains("robust.beta (0.2) trims no update with 3 clients per round (⌊β·n⌋ = 0); use at least 0.3333333333333333",
            new RobustSection { Rule = "trimmed_mean" }.Validate(3));
        Assert.Contains("robust.multi_krum_m (5) must be between 1 and n − f (4 with 5 clients per round and f = 1)",
            new RobustSection { Rule = "multi_krum", MultiKrumM = 5 }.Validate(5));
        Assert.Contains("robust: give norm_bound or norm_bound_factor, not both", new RobustSection { Rule = "norm_bound", NormBound = 1, NormBoundFactor = 2 }.Validate(3));
        Assert.Contains("robust.norm_bound must be finite and > 0, got 0", new RobustSection { Rule = "norm_bound", NormBound = 0 }.Validate(3));
        Assert.Contains("robust.residual_threshold must be in [0, 1), got 1", new RobustSection { Rule = "residual", ResidualThreshold = 1 }.Validate(3));
        Assert.Contains("robust.rule residual needs at least 3 clients per round, got 2", new RobustSection { Rule = "residual" }.Validate(2));
        Assert.Contains("robust.foolsgold_kappa must be finite and > 0, got -1", new RobustSection { Rule = "foolsgold", FoolsgoldKappa = -1 }.Validate(3));
        Assert.Contains("robust.dnc_iterations must be >= 1, got 0", new RobustSection { Rule = "dnc", DncIterations = 0 }.Validate(5));
    }

    [Fact]
    public void ParametersOfAnotherRuleAreReported()
    {
        IReadOnlyList<string> problems = new RobustSection { Rule = "median", F = 2, Beta = 0.1 }.Validate(5);
        Assert.Contains("robust.f applies to rule krum or multi_krum or bulyan or dnc only (rule is median)", problems);
        Assert.Contains("robust.beta applies to rule trimmed_mean only (rule is median)", problems);
    }

    [Fact]
    public void StrategiesThatCannotFollowARuleAreReported()
    {
        Assert.Contains("robust.rule median cannot be combined with strategy.algorithm 'local': that baseline aggregates nothing",
            new RobustSection { Rule = "median" }.Validate(5, "local"));
        Assert.Contains(new RobustSection { Rule = "foolsgold" }.Validate(5, "SCAFFOLD"), p => p.StartsWith("robust.rule foolsgold cannot be combined with strategy.algorithm 'scaffold'", StringComparison.Ordinal));
        Assert.Empty(new RobustSection { Rule = "krum" }.Validate(5, "scaffold"));
        Assert.Empty(new RobustSection { Rule = "residual" }.Validate(5, "fedadam"));
        Assert.Contains(new RobustSection { Rule = "krum" }.Validate(5, "fedavg", clientLevelDp: true),
            p => p.StartsWith("robust.rule krum cannot be combined with privacy.mode client_dp: client-level DP bounds", StringComparison.Ordinal));
        Assert.Empty(new RobustSection().Validate(5, "fedavg", clientLevelDp: true));
    }

    [Fact]
    public void CreateBuildsEachRuleWithItsDefaults()
    {
        Assert.Null(new RobustSection().Create(1));
        var krum = Assert.IsType<KrumAggregator>(new RobustSection { Rule = "krum" }.Create(1));
        Assert.Equal((1, 5), (krum.F, krum.MinimumUpdates));
        Assert.Equal(0.2, Assert.IsType<TrimmedMeanAggregator>(new RobustSection { Rule = "trimmed_mean" }.Create(1)).Beta);
        Assert.Equal(RobustRules.MultiKrum, Assert.IsType<KrumAggregator>(new RobustSection { Rule = "multi_krum", MultiKrumM = 3 }.Create(1)).Rule);
        Assert.Equal(7, Assert.IsType<BulyanAggregator>(new RobustSection { Rule = "bulyan" }.Create(1)).MinimumUpdates);
        Assert.Equal(1.0, Assert.IsType<NormBoundAggregator>(new RobustSection { Rule = "norm_bound" }.Create(1)).Factor);
        Assert.Equal(3.0, Assert.IsType<NormBoundAggregator>(new RobustSection { Rule = "norm_bound", NormBound = 3 }.Create(1)).Bound);
        var dnc = Assert.IsType<DivideAndConquerAggregator>(new RobustSection { Rule = "dnc" }.Create(1));
        Assert.Equal((1, 1.0, 10_000), (dnc.Iterations, dnc.FilterFactor, dnc.SampledDimensions));
        Assert.Equal(1.0, Assert.IsType<FoolsGoldAggregator>(new RobustSection { Rule = "foolsgold" }.Create(1)).Kappa);
        var residual = Assert.IsType<ResidualReweightingAggregator>(new RobustSection { Rule = "residual" }.Create(1));
        Assert.Equal((2.0, 0.05), (residual.Lambda, residual.Threshold));
        var invalid = Assert.Throws<StrategyConfigurationException>(() => new RobustSection { Rule = "trimmed_mean", Beta = 0.7 }.Create(1));
        Assert.Contains("robust.beta must be in [0, 0.5), got 0.7", invalid.Message);
    }
}
