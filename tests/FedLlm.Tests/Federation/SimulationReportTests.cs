using System.Text.RegularExpressions;
using FedLlm.Federation.Reporting;
using FedLlm.Federation.Configuration;
using FedLlm.Federation.Runs;
using FedLlm.Tests.Infrastructure;

namespace FedLlm.Tests.Federation;

[Collection(SimulationCollection.Name)]
public partial class SimulationReportTests(TinySimulationModel tiny)
{
    [GeneratedRegex(@"!\[[^\]]*\]\(([^)]+)\)")]
    private static partial Regex ImageLink();

    [Fact]
    public async Task EveryRunWritesAReportWhosePlotsExistAndWhichRegeneratesIdentically()
    {
        using var temp = new TempDirectory();
        using var model = tiny.Load();
        var config = tiny.Config(temp.Path, "fedprox", "report");
        config = config with { Evaluation = config.Evaluation with { BaseModel = true } };
        var result = await Simulation.RunAsync(config, model, TinySimulationModel.Data(config));

        string report = File.ReadAllText(result.ReportFile);
        Assert.Contains("# Run report: report", report);
        Assert.Contains("`fedprox`", report);
        var images = ImageLink().Matches(report).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal([RunReport.TrainLossPlot, RunReport.HeldOutLossPlot, RunReport.AccuracyPlot, RunReport.BytesPlot], images);
        foreach (string image in images)
        {
            byte[] png = File.ReadAllBytes(result.Run.File(image));
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png[..4]);
        }
        // Per-client table: base and final global columns, one row per client plus the mean.
        Assert.Contains("| client | name | held-out | base loss | base accuracy | global loss | global accuracy |", report);
        string scores = report[report.IndexOf("## Per-client held-out scores", StringComparison.Ordinal)..];
        Assert.Equal(4, scores.Split('\n').TakeWhile(l => !l.StartsWith("## Curves", StringComparison.Ordinal)).Count(l => Regex.IsMatch(l, @"^\| \d \| ")));
        // The clients as the run saw them: names and record counts (a deployed run shows the members that joined instead).
        Assert.Contains("## Clients", report);
        Assert.Contains("| **mean** |", report);

        File.Delete(result.ReportFile);
        foreach (string image in images) File.Delete(result.Run.File(image));
        RunReport.Write(new RunDirectory(result.Run.Path));
        Assert.Equal(report, File.ReadAllText(result.ReportFile));
        Assert.All(images, image => Assert.True(File.Exists(result.Run.File(image))));
    }

    [Fact]
    public async Task DemoStyleReportComparesBaseLocalOnlyAndFederatedPerClient()
    {
        using var temp = new TempDirectory();
        RunResult federated, local;
        var federatedConfig = tiny.Config(temp.Path, "fedavg", "federated");
        federatedConfig = federatedConfig with { Evaluation = federatedConfig.Evaluation with { Every = 0, BaseModel = true } };
        federated = await tiny.RunAsync(federatedConfig);
        var localConfig = tiny.Config(temp.Path, "local", "local");
        localConfig = localConfig with { Evaluation = localConfig.Evaluation with { Every = 0 } };
        local = await tiny.RunAsync(localConfig);

        string path = FedLlm.Federation.Demo.DemoRunner.WriteComparisonReport(federated, local);
        Assert.Equal(federated.ReportFile, path);
        string report = File.ReadAllText(path);
        Assert.Contains("| client | name | held-out | base loss | base accuracy | local-only loss | local-only accuracy | global loss | global accuracy |", report);
        var localLine = federated.Run.ReadMetrics().Last();
        Assert.Equal(RunMetrics.LocalOnlyModel, RunMetrics.ModelOf(localLine));
        Assert.Equal(local.FinalScores, RunMetrics.Scores(localLine));
    }
}
