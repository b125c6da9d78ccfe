using System.Text.RegularExpressions;
using FedLlm.Federation.Reporting;
using FedLlm.Federation.Simulation;
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
        var result = await new SimulationRunner(config, model, TinySimulationModel.Examples(config)).RunAsync(resume: false, evaluateBase: true);

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
        Assert.Equal(4, report.Split('\n').Count(l => Regex.IsMatch(l, @"^\| \d \| ")));
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
        SimulationResult federated, local;
        var federatedConfig = tiny.Config(temp.Path, "fedavg", "federated") with { EvaluateEvery = 0 };
        using (var model = tiny.Load())
            federated = await new SimulationRunner(federatedConfig, model, TinySimulationModel.Examples(federatedConfig)).RunAsync(resume: false, evaluateBase: true);
        var localConfig = tiny.Config(temp.Path, "local", "local") with { EvaluateEvery = 0 };
        using (var model = tiny.Load())
            local = await new SimulationRunner(localConfig, model, TinySimulationModel.Examples(localConfig)).RunAsync(resume: false);

        string path = FedLlm.Federation.Demo.DemoRunner.WriteComparisonReport(federated, local);
        Assert.Equal(federated.ReportFile, path);
        string report = File.ReadAllText(path);
        Assert.Contains("| client | name | held-out | base loss | base accuracy | local-only loss | local-only accuracy | global loss | global accuracy |", report);
        var localLine = federated.Run.ReadMetrics().Last();
        Assert.Equal(RunMetrics.LocalOnlyModel, RunMetrics.ModelOf(localLine));
        Assert.Equal(local.FinalScores, RunMetrics.Scores(localLine));
    }
}
