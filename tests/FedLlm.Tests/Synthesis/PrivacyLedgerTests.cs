using System.Text.Json.Nodes;
using FedLlm.Cli.Experiments;
using FedLlm.Federation.Configuration;
using FedLlm.Federation.Privacy;
using FedLlm.Privacy.Accounting;
using FedLlm.Tests.Federation;
using FedLlm.Tests.Infrastructure;

namespace FedLlm.Tests.Synthesis;

[Collection(SimulationCollection.Name)]
public class PrivacyLedgerTests(TinySimulationModel kit)
{
    [Fact]
    public async Task TheLedgersEpsilonIsTheClientAccountantsComposedOverTheWholeRun()
    {
        using var temp = new TempDirectory();
        const int rounds = 3;
        var config = kit.Config(temp.Path, "fedavg", "dp-client", rounds) with
        {
            Split = new SplitSection { Method = "iid", Clients = 2 },
            Strategy = new StrategySection { Algorithm = "fedavg", ClientsPerRound = 2 },
            Privacy = new PrivacySection { Mode = "dp_sgd", TargetEpsilon = 4, Delta = 1e-3, ReproducibleNoise = true },
            Evaluation = new EvaluationSection { MaxAccuracyExamples = 0, MaxTestAccuracyExamples = 0 },
        };
        var result = await kit.RunAsync(config);

        var guarantee = PrivacyLedger.GuaranteeOf(result.Run, config, clientId: 0);
        // Every step of every round, composed in one accountant (never reset per round, unlike the seed code).
        Assert.Equal(rounds * config.Training.StepsPerRound, guarantee.Steps);
        var independent = new RdpAccountant();
        independent.Record(guarantee.NoiseMultiplier, guarantee.SampleRate, guarantee.Steps);
        Assert.Equal(independent.GetEpsilon(config.Privacy.Delta), guarantee.Epsilon, 9);
        // What the client reported at its last round, and within the whole-run budget σ was calibrated for.
        var lastRound = result.Run.ReadMetrics().Last(m => m["type"]?.GetValue<string>() == "round");
        Assert.Equal(lastRound["client_privacy"]!["0"]!["epsilon"]!.GetValue<double>(), guarantee.Epsilon, 12);
        Assert.InRange(guarantee.Epsilon, 0.8 * 4, 4 + 1e-6);
        var firstRound = result.Run.ReadMetrics().First(m => m["type"]?.GetValue<string>() == "round");
        Assert.True(firstRound["client_privacy"]!["0"]!["epsilon"]!.GetValue<double>() < guarantee.Epsilon);

        var ledger = KnowledgesgExperiment.Ledger(guarantee, result.Run, result.Run);
        var adapter = Assert.Single(ledger.Entries, e => e.Artefact == "DP LoRA adapter");
        Assert.Equal(("client 0", "server"), (adapter.From, adapter.To));
        Assert.All(ledger.Entries.Where(e => e.Epsilon is > 0), e => Assert.Equal(guarantee.Epsilon, e.Epsilon!.Value));
        Assert.Null(Assert.Single(ledger.Entries, e => e.Artefact == "private records").Epsilon);
        Assert.Equal(0, Assert.Single(ledger.Entries, e => e.Artefact.StartsWith("public", StringComparison.Ordinal)).Epsilon);
        Assert.Contains(guarantee.Epsilon.ToString("G4", System.Globalization.CultureInfo.InvariantCulture), ledger.ToMarkdown());
        Assert.Equal(guarantee.Epsilon, ledger.ToJson().OfType<JsonObject>().First(e => e["artefact"]!.GetValue<string>() == "fine-tuned adapter")["epsilon"]!.GetValue<double>());
    }

    [Fact]
    public void ARunWithoutDpSgdHasNoGuaranteeToRead()
    {
        using var temp = new TempDirectory();
        var error = Assert.Throws<ArgumentException>(() =>
            PrivacyLedger.GuaranteeOf(new FedLlm.Federation.Runs.RunDirectory(temp.Path), new RunConfig(), 0));
        Assert.Contains("dp_sgd", error.Message);
    }
}
