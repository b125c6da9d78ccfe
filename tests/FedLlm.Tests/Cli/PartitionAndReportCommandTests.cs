using FedLlm.Federation.Splits;
using FedLlm.Tests.Infrastructure;

namespace FedLlm.Tests.Cli;

public class PartitionAndReportCommandTests : IClassFixture<CliErrorTests.TinyModelFixture>
{
    private readonly CliErrorTests.TinyModelFixture _fixture;

    public PartitionAndReportCommandTests(CliErrorTests.TinyModelFixture fixture) => _fixture = fixture;

    [Fact]
    public void PartitionPrintsAPlainTableAndWritesThePlotAndSplitWithoutAModel()
    {
        using var temp = new TempDirectory();
        string config = temp.File("config.yaml");
        // No model at all: partition only needs data and split.
        File.WriteAllText(config, $"""
            name: preview
            output_directory: {temp.File("runs")}
            data:
              demo_records: 140
              test_fraction: 0.1
            split:
              method: dirichlet
              clients: 5
              alpha: 0.5
            """);
        var result = CliProcess.Run("partition", "--config", config, "--out", temp.File("out"));
        Assert.True(result.ExitCode == 0, result.Stderr);

        Assert.DoesNotContain("\u001b[", result.Stdout); // plain when redirected
        string[] rows = result.Stdout.Split('\n').Where(l => l.StartsWith('|') && !l.StartsWith("|-", StringComparison.Ordinal)).ToArray();
        Assert.Contains("client", rows[0]);
        foreach (string task in FedLlm.Data.Demo.DemoTasks.Categories) Assert.Contains(task, rows[0]);
        Assert.Equal(1 + 5, rows.Length); // header + one row per client
        Assert.Contains("global test set 14 records", result.Stdout);

        var split = ClientSplit.Load(Path.Combine(temp.File("out"), "split.json"));
        Assert.Equal(5, split.ClientCount);
        Assert.Equal(126, split.AssignedCount);
        Assert.Equal(SplitMethods.DirichletLabel, split.Method);
        byte[] png = File.ReadAllBytes(Path.Combine(temp.File("out"), "split.png"));
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png[..4]);
        Assert.False(Directory.Exists(temp.File("runs")));

        // The same split as a flag override of the method: natural by client over a file, names in the table.
        string data = temp.File("data.jsonl");
        File.WriteAllLines(data, Enumerable.Range(0, 9).Select(i => $"{{\"instruction\": \"add: {i} + 1\", \"response\": \"{i + 1}\", \"client_id\": \"user-{i % 3}\"}}"));
        var natural = CliProcess.Run("partition", "--config", config, "--out", temp.File("natural"),
            "--data.path", data, "--data.test-fraction", "0", "--split.method", "natural", "--split.field", "client");
        Assert.True(natural.ExitCode == 0, natural.Stderr);
        Assert.Contains("user-2", natural.Stdout);
        Assert.Equal(3, ClientSplit.Load(Path.Combine(temp.File("natural"), "split.json")).ClientCount);
    }

    [Fact]
    public void ReportCommandRegeneratesTheReportOfASimulateRun()
    {
        using var temp = new TempDirectory();
        string config = temp.File("config.yaml");
        File.WriteAllText(config, $"""
            name: reported
            output_directory: {temp.File("runs")}
            model:
              path: {_fixture.Model}
            data:
              template: chatml
              demo_records: 60
            evaluation:
              max_accuracy_examples: 1
            split:
              method: iid
              clients: 3
            lora:
              rank: 2
              targets: q_proj
            strategy:
              algorithm: fedavgm
            training:
              max_steps: 1
              batch_size: 2
              max_sequence_length: 40
            rounds: 2
            """);
        var simulate = CliProcess.Run("simulate", "--config", config);
        Assert.True(simulate.ExitCode == 0, simulate.Stderr);
        string runDir = Path.Combine(temp.File("runs"), "reported");
        string reportPath = Path.Combine(runDir, "report.md");
        Assert.Contains($"Report: {reportPath}", simulate.Stderr);
        string original = File.ReadAllText(reportPath);
        File.Delete(reportPath);
        File.Delete(Path.Combine(runDir, "report-bytes.png"));

        var report = CliProcess.Run("report", runDir);
        Assert.True(report.ExitCode == 0, report.Stderr);
        Assert.Equal(reportPath, report.Stdout.Trim());
        Assert.Equal(original, File.ReadAllText(reportPath));
        Assert.True(File.Exists(Path.Combine(runDir, "report-bytes.png")));

        var missing = CliProcess.Run("report", temp.File("nope"));
        Assert.NotEqual(0, missing.ExitCode);
        Assert.StartsWith("error: ", missing.Stderr);
        Assert.Contains("no such run folder", missing.Stderr);
    }
}
