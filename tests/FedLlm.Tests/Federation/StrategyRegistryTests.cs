using FedLlm.Federation.Strategies;

namespace FedLlm.Tests.Federation;

public class StrategyRegistryTests
{
    [Theory]
    [InlineData("fedavg", typeof(FedAvgStrategy))]
    [InlineData("FedProx", typeof(FedProxStrategy))]
    [InlineData("scaffold", typeof(ScaffoldStrategy))]
    [InlineData("fedavgm", typeof(FedAvgMStrategy))]
    [InlineData("fedadagrad", typeof(FedAdagradStrategy))]
    [InlineData("fedyogi", typeof(FedYogiStrategy))]
    [InlineData(" FEDADAM ", typeof(FedAdamStrategy))]
    [InlineData("local", typeof(LocalOnlyStrategy))]
    [InlineData("central", typeof(CentralStrategy))]
    public void CreatesEveryAlgorithm(string name, Type expected)
    {
        ServerStrategy strategy = StrategyRegistry.Create(new StrategyOptions { Algorithm = name, TotalClients = 3 });
        Assert.IsType(expected, strategy);
        Assert.Equal(name.Trim().ToLowerInvariant(), strategy.Name);
    }

    [Fact]
    public void UnknownAlgorithmListsValidNames()
    {
        var error = Assert.Throws<StrategyConfigurationException>(() =>
            StrategyRegistry.Create(new StrategyOptions { Algorithm = "fedadgrad", TotalClients = 3 }));
        Assert.Contains("strategy.algorithm 'fedadgrad' is unknown (valid: fedavg, fedprox, scaffold, fedavgm, fedadagrad, fedyogi, fedadam, local, central)", error.Message);
    }

    [Fact]
    public void AllProblemsAreReportedTogether()
    {
        var options = new StrategyOptions
        {
            Algorithm = "fedadam",
            TotalClients = 10,
            ClientsPerRound = 11,
            ServerLearningRate = -1,
            Beta1 = 1.0,
            Beta2 = -0.1,
            Tau = 0,
        };
        IReadOnlyList<string> problems = StrategyRegistry.Validate(options);
        Assert.Equal(
            [
                "strategy.clients_per_round (11) is larger than the 10 clients of the federation",
                "strategy.server_learning_rate must be a finite number > 0 (got -1)",
                "strategy.beta1 must be in [0, 1) (got 1)",
                "strategy.beta2 must be in [0, 1) (got -0.1)",
                "strategy.tau must be a finite number > 0 (got 0)",
            ],
            problems);
        var error = Assert.Throws<StrategyConfigurationException>(() => StrategyRegistry.Create(options));
        Assert.Equal(5, error.Problems.Count);
        Assert.StartsWith("Invalid strategy configuration:", error.Message);
    }

    [Fact]
    public void OtherInvalidSettings()
    {
        Assert.Contains("the federation needs at least one client (got 0)", StrategyRegistry.Validate(new StrategyOptions { Algorithm = "fedavg", TotalClients = 0 }));
        Assert.Contains("strategy.client_fraction must be in (0, 1] (got 1.5)",
            StrategyRegistry.Validate(new StrategyOptions { Algorithm = "fedavg", TotalClients = 3, ClientFraction = 1.5 }));
        Assert.Contains("give strategy.clients_per_round or strategy.client_fraction, not both",
            StrategyRegistry.Validate(new StrategyOptions { Algorithm = "fedavg", TotalClients = 3, ClientsPerRound = 1, ClientFraction = 0.5 }));
        Assert.Contains("a single local client applies only to the 'local' algorithm (got 'fedavg')",
            StrategyRegistry.Validate(new StrategyOptions { Algorithm = "fedavg", TotalClients = 3, LocalClientId = 1 }));
        Assert.Contains("local client id 3 is outside [0, 3)",
            StrategyRegistry.Validate(new StrategyOptions { Algorithm = "local", TotalClients = 3, LocalClientId = 3 }));
        Assert.Contains("strategy.proximal_mu must be a finite number >= 0 (got NaN)",
            StrategyRegistry.Validate(new StrategyOptions { Algorithm = "fedprox", TotalClients = 3, ProximalMu = double.NaN }));
        Assert.Empty(StrategyRegistry.Validate(new StrategyOptions { Algorithm = "fedyogi", TotalClients = 3, ClientFraction = 0.5 }));
    }

    [Fact]
    public void DirectConstructionValidatesToo()
    {
        Assert.Throws<StrategyConfigurationException>(() => new FedAvgStrategy(new StrategyOptions { Algorithm = "fedavg", TotalClients = -1 }));
    }

    /// <summary>What each algorithm declares it needs, which is all the rest of FedLlm asks (never its name).</summary>
    [Fact]
    public void EveryAlgorithmDeclaresItsNeeds()
    {
        Assert.Equal(["fedavg", "fedprox", "scaffold", "fedavgm", "fedadagrad", "fedyogi", "fedadam", "local", "central"], StrategyRegistry.All.Select(k => k.Name));
        string[] encryptable = [.. StrategyRegistry.All.Where(k => k.Capabilities.WhyNotEncrypted is null).Select(k => k.Name)];
        Assert.Equal(["fedavg", "fedprox", "fedavgm", "fedadagrad", "fedyogi", "fedadam"], encryptable);
        Assert.Equal(encryptable, StrategyRegistry.All.Where(k => k.Capabilities.WhyNotClientDp is null).Select(k => k.Name));
        Assert.Equal(["local", "central"], StrategyRegistry.All.Where(k => k.Capabilities.WhyNotDeployable is not null).Select(k => k.Name));
        Assert.Equal([ExchangeKeys.ScaffoldDeltaControl], ScaffoldStrategy.Kind.Capabilities.UpdateExtras);
        foreach (var kind in StrategyRegistry.All)
        {
            var strategy = kind.Create(new StrategyOptions { Algorithm = kind.Name, TotalClients = 3 });
            Assert.Equal(kind.Name, strategy.Name);
            Assert.Equal(kind.Capabilities, strategy.Capabilities);
        }
    }

    [Fact]
    public void DefaultsFollowTheDocumentedSources()
    {
        var adam = (FedAdamStrategy)StrategyRegistry.Create(new StrategyOptions { Algorithm = "fedadam", TotalClients = 2 });
        Assert.Equal((0.9, 0.99, 1e-3, 1e-3, DeltaWeighting.Unweighted), (adam.Beta1, adam.Beta2, adam.Tau, adam.ServerLearningRate, adam.Weighting));
        var adagrad = (FedAdagradStrategy)StrategyRegistry.Create(new StrategyOptions { Algorithm = "fedadagrad", TotalClients = 2 });
        Assert.Equal(0.0, adagrad.Beta1);
        var avgm = (FedAvgMStrategy)StrategyRegistry.Create(new StrategyOptions { Algorithm = "fedavgm", TotalClients = 2 });
        Assert.Equal((0.9, FedAvgMForm.HeavyBall), (avgm.Beta, avgm.Form));
        Assert.Equal(0.1, avgm.ServerLearningRate, 15);
        Assert.Equal(0.01, new StrategyOptions { Algorithm = "fedprox", TotalClients = 1 }.ProximalMu);
    }
}
