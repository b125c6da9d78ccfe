using FedLlm.Data.Demo;
using FedLlm.Federation.Configuration;
using FedLlm.Federation.Runs;
using FedLlm.Tests.Infrastructure;

namespace FedLlm.Tests.Federation;

[Collection(SimulationCollection.Name)]
public class GlobalTestSetTests(TinySimulationModel tiny)
{
    [Fact]
    public async Task TestFractionIsHeldOutOfEveryClientAndScoredAtEachEvaluation()
    {
        using var temp = new TempDirectory();
        var config = tiny.Config(temp.Path, "fedavg", "with-test") with
        {
            Data = tiny.Config(temp.Path, "fedavg", "x").Data with { TestFraction = 0.25 },
        };
        var records = RunRecords.Load(config);
        var data = RunData.Prepare(config, records);
        Assert.Equal(18, data.GlobalTest.Count);
        Assert.Equal(records.Records.Count - 18, data.Split.RecordCount);
        var clientRecords = data.Clients.SelectMany(c => c.Train.Concat(c.HeldOut)).ToHashSet(ReferenceEqualityComparer.Instance);
        Assert.DoesNotContain(data.GlobalTest, e => clientRecords.Contains(e));
        Assert.Equal(data.GlobalTest.Select(e => e.Metadata.Source), RunData.Prepare(config, RunRecords.Load(config)).GlobalTest.Select(e => e.Metadata.Source)); // deterministic from the seed

        var result = await tiny.RunAsync(config);
        var evaluations = result.Run.ReadMetrics().Where(m => m["type"]!.GetValue<string>() == "evaluation").ToList();
        Assert.Equal(2, evaluations.Count);
        foreach (var evaluation in evaluations)
        {
            var test = evaluation["test"]!;
            double loss = test["loss"]!.GetValue<double>();
            Assert.True(double.IsFinite(loss) && loss > 0);
            Assert.Equal(Math.Exp(loss), test["perplexity"]!.GetValue<double>(), 9);
            Assert.Equal(18, test["examples"]!.GetValue<int>());
            Assert.Equal(2, test["accuracy_examples"]!.GetValue<int>()); // demo records carry reference answers
            Assert.InRange(test["accuracy"]!.GetValue<double>(), 0, 1);
        }
        Assert.NotNull(result.Final?.Test);
        Assert.Contains("global test loss", File.ReadAllText(result.ReportFile));
    }

    [Fact]
    public void ATestFileIsUsedAsIsAndTakesNothingFromTheClients()
    {
        using var temp = new TempDirectory();
        var config = tiny.Config(temp.Path, "fedavg", "file") with
        {
            Data = tiny.Config(temp.Path, "fedavg", "x").Data with { TestPath = "test.jsonl" },
        };
        var examples = RunRecords.Load(config with { Data = config.Data with { TestPath = null } }).Records;
        var test = DemoTasks.Generate(10, 99);
        var data = RunData.Prepare(config, new RunRecords(examples, null, test, []));
        Assert.Same(test, data.GlobalTest);
        Assert.Equal(examples.Count, data.Split.RecordCount);

        var both = config with { Data = config.Data with { TestFraction = 0.1 } };
        Assert.Contains(both.Validate(RunPurpose.Simulate), p => p.Contains("data.test_path or data.test_fraction", StringComparison.Ordinal));
    }
}
