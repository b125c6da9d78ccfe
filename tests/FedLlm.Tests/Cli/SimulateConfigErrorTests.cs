using FedLlm.Tests.Infrastructure;

namespace FedLlm.Tests.Cli;

/// <summary>
/// A bad simulate config fails before any training with one `error:` line naming the problem. The model folder is
/// empty, so loading it would fail naming it: an error about anything else proves the check ran before the model would
/// have loaded; no run folder appears.
/// </summary>
public class SimulateConfigErrorTests
{
    private static CliProcess.Result Simulate(TempDirectory temp, string yaml, params string[] flags)
    {
        string config = temp.File("config.yaml");
        Directory.CreateDirectory(temp.File("empty-model"));
        File.WriteAllText(config, $"""
            name: bad
            output_directory: {temp.File("runs")}
            model:
              path: {temp.File("empty-model")}
            rounds: 2
            {yaml}
            """);
        return CliProcess.Run(["simulate", "--config", config, .. flags]);
    }

    private static void AssertFailsBeforeTraining(TempDirectory temp, CliProcess.Result result, params string[] mustContain)
    {
        CliErrorTests.AssertOneLineError(result, mustContain);
        Assert.DoesNotContain("empty-model", result.Stderr);
        Assert.False(Directory.Exists(temp.File("runs")), "a run folder was created");
    }

    [Fact]
    public void UnknownAlgorithmIsNamedWithTheValidOnes()
    {
        using var temp = new TempDirectory();
        AssertFailsBeforeTraining(temp, Simulate(temp, "strategy:\n  algorithm: fedfoo"), "strategy.algorithm 'fedfoo' is unknown", "fedavg", "scaffold");
    }

    [Fact]
    public void MoreClientsPerRoundThanClients()
    {
        using var temp = new TempDirectory();
        AssertFailsBeforeTraining(temp, Simulate(temp, "split:\n  clients: 3\nstrategy:\n  clients_per_round: 5"),
            "strategy.clients_per_round (5) is larger than the 3 clients (split.clients)");
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-0.5")]
    public void NonPositiveAlphaIsRejected(string alpha)
    {
        using var temp = new TempDirectory();
        AssertFailsBeforeTraining(temp, Simulate(temp, "split:\n  method: dirichlet", "--split.alpha", alpha), "split.alpha must be > 0");
    }

    [Fact]
    public void NaturalSplitFieldMissingFromTheRecordsNamesTheFileLine()
    {
        using var temp = new TempDirectory();
        string data = temp.File("data.jsonl");
        File.WriteAllLines(data, ["{\"instruction\": \"add: 1 + 2\", \"response\": \"3\"}", "{\"instruction\": \"add: 2 + 2\", \"response\": \"4\"}"]);
        var result = Simulate(temp, $"data:\n  path: {data}\nsplit:\n  method: natural\n  field: client");
        AssertFailsBeforeTraining(temp, result, "data.jsonl:1", "has no 'client' value");
    }

    [Fact]
    public void NaturalSplitWithFewerClientsThanClientsPerRound()
    {
        using var temp = new TempDirectory();
        string data = temp.File("data.jsonl");
        File.WriteAllLines(data, Enumerable.Range(0, 6).Select(i => $"{{\"instruction\": \"add: {i} + 1\", \"response\": \"{i + 1}\", \"client_id\": \"u{i % 3}\"}}"));
        var result = Simulate(temp, $"data:\n  path: {data}\nsplit:\n  method: natural\n  field: client\nstrategy:\n  clients_per_round: 5");
        AssertFailsBeforeTraining(temp, result, "3 clients", "strategy.clients_per_round (5) is larger than the 3 clients");
    }

    [Fact]
    public void UnknownKeyInTheFileIsNamedWithItsSection()
    {
        using var temp = new TempDirectory();
        AssertFailsBeforeTraining(temp, Simulate(temp, "lora:\n  rnak: 4"), "config.yaml", "unknown config key 'lora.rnak'", "rank");
    }

    [Fact]
    public void UnknownKeyAsAFlagIsNamed()
    {
        using var temp = new TempDirectory();
        AssertFailsBeforeTraining(temp, Simulate(temp, "", "--strategy.mu", "0.1"), "unknown config key 'strategy.mu'", "proximal_mu");
    }
}
