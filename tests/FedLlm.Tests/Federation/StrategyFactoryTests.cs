using FedLlm.Federation.Strategies;

namespace FedLlm.Tests.Federation;

public class StrategyFactoryTests
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
        ServerStrategy strategy = StrategyFactory.Create(new StrategyOptions { Algorithm = name, TotalClients = 3 });
        Assert.IsType(expected, strategy);
        Assert.Equal(name.Trim().ToLowerInvariant(), strategy.Name);
    }

    [Fact]
    public void UnknownAlgorithmListsValidNames()
    {
        var error = Assert.Throws<StrategyConfigurationException>(() =>
            StrategyFactory.Create(new StrategyOptions { Algorithm = "fedadgrad", TotalClients = 3 }));
        Assert.Contains("unknown algorithm 'fedadgrad'; valid names are: fedavg, fedprox, scaffold, fedavgm, fedadagrad, fedyogi, fedadam, local, central.", error.Message);
    }

    [Fact]
    public void AllProblemsAreReportedTogether()
    {
        var options = new StrategyOptions
        {
            Algorithm = "fedadam",
            TotalClients = 10,
            ClientsPerRound = 11,
            LearningRate = 0,
            ServerLearningRate = -1,
            Beta1 = 1.0,
            Beta2 = -0.1,
            Tau = 0,
        };
        IReadOnlyList<string> problems = StrategyFactory.Validate(options);
        Assert.Equal(
            [
                "clients per round (11) exceeds total clients (10).",
                "learning rate must be a finite number > 0 (got 0).",
                "minimum learning rate (1E-06) exceeds the learning rate (0).",
                "server learning rate must be a finite number > 0 (got -1).",
                "beta1 must be in [0, 1) (got 1).",
                "beta2 must be in [0, 1) (got -0.1).",
                "tau must be a finite number > 0 (got 0).",
            ],
            problems);
        var error = Assert.Throws<StrategyConfigurationException>(() => StrategyFactory.Create(options));
        Assert.Equal(7, error.Problems.Count);
        Assert.StartsWith("Invalid strategy configuration:", error.Message);
    }

    [Fact]
    public void OtherInvalidSettings()
    {
        Assert.Contains("total clients must be > 0 (got 0).", StrategyFactory.Validate(new StrategyOptions { Algorithm = "fedavg", TotalClients = 0 }));
        Assert.Contains("client fraction must be in (0, 1] (got 1.5).",
            StrategyFactory.Validate(new StrategyOptions { Algorithm = "fedavg", TotalClients = 3, ClientFraction = 1.5 }));
        Assert.Contains("set either clients per round or client fraction, not both.",
            StrategyFactory.Validate(new StrategyOptions { Algorithm = "fedavg", TotalClients = 3, ClientsPerRound = 1, ClientFraction = 0.5 }));
        Assert.Contains("local client id applies only to the 'local' algorithm (got 'fedavg').",
            StrategyFactory.Validate(new StrategyOptions { Algorithm = "fedavg", TotalClients = 3, LocalClientId = 1 }));
        Assert.Contains("local client id 3 is outside [0, 3).",
            StrategyFactory.Validate(new StrategyOptions { Algorithm = "local", TotalClients = 3, LocalClientId = 3 }));
        Assert.Contains("FedProx mu must be a finite number >= 0 (got NaN).",
            StrategyFactory.Validate(new StrategyOptions { Algorithm = "fedprox", TotalClients = 3, ProximalMu = double.NaN }));
        Assert.Empty(StrategyFactory.Validate(new StrategyOptions { Algorithm = "fedyogi", TotalClients = 3, ClientFraction = 0.5 }));
    }

    [Fact]
    public void DirectConstructionValidatesToo()
    {
        Assert.Throws<StrategyConfigurationException>(() => new FedAvgStrategy(new StrategyOptions { Algorithm = "fedavg", TotalClients = -1 }));
    }

    [Fact]
    public void DefaultsFollowTheDocumentedSources()
    {
        var adam = (FedAdamStrategy)StrategyFactory.Create(new StrategyOptions { Algorithm = "fedadam", TotalClients = 2 });
        Assert.Equal((0.9, 0.99, 1e-3, 1e-3, DeltaWeighting.Unweighted), (adam.Beta1, adam.Beta2, adam.Tau, adam.ServerLearningRate, adam.Weighting));
        var adagrad = (FedAdagradStrategy)StrategyFactory.Create(new StrategyOptions { Algorithm = "fedadagrad", TotalClients = 2 });
        Assert.Equal(0.0, adagrad.Beta1);
        var avgm = (FedAvgMStrategy)StrategyFactory.Create(new StrategyOptions { Algorithm = "fedavgm", TotalClients = 2 });
        Assert.Equal((0.9, FedAvgMForm.HeavyBall), (avgm.Beta, avgm.Form));
        Assert.Equal(0.1, avgm.ServerLearningRate, 15);
        Assert.Equal(0.01, new StrategyOptions { Algorithm = "fedprox", TotalClients = 1 }.ProximalMu);
    }
}
