using System.Diagnostics;
using System.Text.Json.Nodes;
using FedLlm.Data.Demo;
using FedLlm.Models.Conversion;
using FedLlm.Synthesis.Output;
using FedLlm.Tests.Infrastructure;
using Xunit.Abstractions;

namespace FedLlm.Tests.Cli;

/// <summary><c>fedllm bench</c> as real processes: a matrix on real data, killed midway and run again.</summary>
public class BenchCommandTests(ITestOutputHelper output)
{
    private const int Cells = 12;

    [SharedDataFact]
    public void AKilledMatrixFinishesOnlyItsMissingCellsAndItsTablesEqualTheCellsOwnMetrics()
    {
        using var temp = new TempDirectory();
        string model = temp.File("stories260K");
        Llama2cConverter.Convert(SharedData.PathOf("models/stories260K/stories260K.bin"), SharedData.PathOf("models/stories260K/tok512.bin"), model);
        File.WriteAllText(temp.File("base.yaml"), $"""
            model:
              path: {model}
            data:
              template: plain
              held_out_fraction: 0.01
            split:
              method: iid
              clients: 2
            lora:
              rank: 2
              alpha: 4
              targets: q_proj,v_proj
            training:
              learning_rate: 0.005
              batch_size: 1
              max_steps: 1
              max_sequence_length: 48
            evaluation:
              max_examples: 3
              max_accuracy_examples: 0
            rounds: 2
            """);
        File.WriteAllText(temp.File("matrix.yaml"), $$"""
            name: small
            output_directory: {{temp.File("bench")}}
            base: {{temp.File("base.yaml")}}
            methods:
              - name: fedavg
              - name: fedprox
              - name: local
            datasets:
              - name: alpaca
                set: {data.path: {{SharedData.PathOf("data/alpaca/alpaca_en_demo.json")}}}
              - name: gsm8k
                set: {data.path: {{SharedData.PathOf("data/gsm8k/test.jsonl")}}}
            seeds: [1, 2]
            memory_budget_gb: 4
            """);
        string cells = temp.File("bench/small/cells");
        var clock = Stopwatch.StartNew();

        // Kill the matrix once three cells are finished (the fourth may be half done).
        using (var first = BackgroundCli.Start("fedllm bench", temp.Path, "bench", "--matrix", temp.File("matrix.yaml")))
        {
            first.WaitFor("[3/12] fedavg__gsm8k__seed1: finished", TimeSpan.FromMinutes(8));
            first.Kill();
        }
        var finishedBefore = Markers(cells);
        Assert.True(finishedBefore.Count is >= 3 and < Cells, $"{finishedBefore.Count} cells finished before the kill");

        using var second = BackgroundCli.Start("fedllm bench", temp.Path, "bench", "--matrix", temp.File("matrix.yaml"));
        Assert.True(second.WaitForExit(TimeSpan.FromMinutes(15)) == 0, second.Output);
        output.WriteLine($"12-cell matrix, killed and resumed: {clock.Elapsed.TotalSeconds:F0} s in all");
        foreach (var (cell, marker) in finishedBefore)
        {
            Assert.Contains($"{cell}: finished earlier, skipped", second.Output);
            Assert.Equal(marker, File.ReadAllText(Path.Combine(cells, cell, "bench-cell.json")));
        }
        var finishedAfter = Markers(cells);
        Assert.Equal(Cells, finishedAfter.Count);
        Assert.Equal(Cells - finishedBefore.Count, second.Output.Split('\n').Count(l => l.Contains(": finished in ", StringComparison.Ordinal)));

        // Every table entry is the mean and sample standard deviation of the two seeds' values in the cells' own metrics.
        var results = JsonNode.Parse(File.ReadAllText(temp.File("bench/small/results.json")))!;
        var loss = results["tables"]!["held_out_loss"]!["rows"]!;
        foreach (string method in new[] { "fedavg", "fedprox", "local" })
        {
            foreach (string dataset in new[] { "alpaca", "gsm8k" })
            {
                double[] values = [.. new[] { 1, 2 }.Select(seed => FinalHeldOutLoss(Path.Combine(cells, $"{method}__{dataset}__seed{seed}", "metrics.jsonl")))];
                var entry = loss[method]![dataset]!;
                Assert.Equal(values, entry["values"]!.AsArray().Select(v => v!.GetValue<double>()));
                Assert.Equal(values.Average(), entry["mean"]!.GetValue<double>(), 12);
                Assert.Equal(Math.Abs(values[0] - values[1]) / Math.Sqrt(2), entry["std"]!.GetValue<double>(), 12);
            }
        }
        // The best entry of each column is the lowest mean loss (every tied one; with one local step FedProx's proximal
        // term has no gradient yet, so FedAvg and FedProx tie exactly).
        foreach (string dataset in new[] { "alpaca", "gsm8k" })
        {
            var means = new[] { "fedavg", "fedprox", "local" }.ToDictionary(m => m, m => loss[m]![dataset]!["mean"]!.GetValue<double>());
            double lowest = means.Values.Min();
            bool allEqual = means.Values.All(m => m == lowest);
            foreach (var (method, mean) in means) Assert.Equal(!allEqual && mean == lowest, loss[method]![dataset]!["best"]!.GetValue<bool>());
        }
        // Traffic: the federated methods exchange adapters every round, the local baseline nothing (0 MiB, not a gap).
        var traffic = results["tables"]!["mib_exchanged"]!["rows"]!;
        foreach (string dataset in new[] { "alpaca", "gsm8k" })
        {
            Assert.Equal(0.0, traffic["local"]![dataset]!["mean"]!.GetValue<double>());
            Assert.True(traffic["fedavg"]![dataset]!["mean"]!.GetValue<double>() > 0);
        }
        string markdown = File.ReadAllText(temp.File("bench/small/results.md"));
        Assert.Contains("## held_out_loss", markdown);
        Assert.Contains("| method | alpaca | gsm8k |", markdown);
        Assert.True(File.Exists(temp.File("bench/small/results.html")));
        Assert.True(File.Exists(Path.Combine(cells, "local__gsm8k__seed2", "report.html")));
    }

    /// <summary>
    /// A bench's <c>results.html</c> in real headless Chromium: one table per metric plus the cell list, one drawn bar
    /// chart per metric, no console error; the local baseline's traffic reads 0. A screenshot is kept under
    /// TestResults/screenshots.
    /// </summary>
    [ChromiumFact]
    public async Task ABenchReportPageRendersItsTablesAndChartsWithoutConsoleErrors()
    {
        using var temp = new TempDirectory();
        string model = CliProcess.InitTinyModel(temp.File("model"));
        string records = temp.File("records.jsonl");
        SyntheticDatasetWriter.Write(records, DemoTasks.Generate(24, seed: 5).Select(e =>
            new SyntheticExample(e.Conversation.Turns[0].Content, e.Conversation.FinalResponse!, Origin: null)));
        File.WriteAllText(temp.File("matrix.yaml"), $$"""
            name: page
            output_directory: {{temp.File("bench")}}
            set: {model.path: {{model}}, data.path: {{records}}, data.template: chatml, data.held_out_fraction: 0.2, split.method: iid, split.clients: 2, rounds: 2, training.max_steps: 1, training.batch_size: 2, training.max_sequence_length: 48, evaluation.max_examples: 2, evaluation.max_accuracy_examples: 0}
            methods:
              - name: fedavg
              - name: local
            datasets:
              - name: demo
            seeds: [1, 2]
            """);
        var result = CliProcess.Run("bench", "--matrix", temp.File("matrix.yaml"));
        Assert.True(result.ExitCode == 0, result.Stderr);
        var tables = JsonNode.Parse(File.ReadAllText(temp.File("bench/page/results.json")))!["tables"]!.AsObject();
        Assert.Contains("mib_exchanged", tables.Select(t => t.Key));

        await using var browser = await HeadlessChromium.StartAsync();
        await browser.OpenAsync(new Uri(temp.File("bench/page/results.html")).AbsoluteUri, TimeSpan.FromSeconds(1));
        string screenshot = HeadlessChromium.ScreenshotPath("bench-report.png");
        await browser.ScreenshotAsync(screenshot);
        output.WriteLine($"screenshot: {screenshot}");

        Assert.Empty(browser.Errors);
        Assert.True(await browser.CountAsync("table") >= tables.Count + 1, "a table per metric and the cell list");
        Assert.Equal(tables.Count, await browser.CountAsync("figure.chart svg"));
        Assert.True(await browser.CountAsync("figure.chart svg rect") >= 2 * tables.Count, "a bar per method in every chart");
        Assert.Equal(0, await browser.CountAsync("figure.chart:empty"));
        // The rows of the table under the mib_exchanged heading, as the page shows them.
        var rows = (await browser.EvaluateAsync("""
            (() => {
              let e = [...document.querySelectorAll('h2')].find(h => h.textContent.trim() === 'mib_exchanged').nextElementSibling;
              while (e && e.tagName !== 'TABLE' && !e.querySelector('table')) e = e.nextElementSibling;
              const table = e.tagName === 'TABLE' ? e : e.querySelector('table');
              return [...table.rows].map(r => [...r.cells].map(c => c.textContent.trim()).join(' | '));
            })()
            """))!.AsArray().Select(r => r!.GetValue<string>()).ToList();
        Assert.Contains("local | 0.0000 ± 0.0000", rows);
        Assert.Single(rows, r => r.StartsWith("fedavg | ", StringComparison.Ordinal) && !r.Contains("0.0000 ± 0.0000", StringComparison.Ordinal));
    }

    [Fact]
    public void ABadMatrixFailsWithOneLine()
    {
        using var temp = new TempDirectory();
        File.WriteAllText(temp.File("matrix.yaml"), "name: m\nmethods:\n  - name: fedsgd\ndatasets:\n  - name: d\nseeds: [1, 1]\n");
        CliErrorTests.AssertOneLineError(CliProcess.Run("bench", "--matrix", temp.File("matrix.yaml")), "methods[0] (fedsgd)", "a seed is listed twice");
        File.WriteAllText(temp.File("cells.yaml"), "name: m\nmethods:\n  - name: fedavg\ndatasets:\n  - name: d\n    set: {data.path: nope.jsonl}\n");
        CliErrorTests.AssertOneLineError(CliProcess.Run("bench", "--matrix", temp.File("cells.yaml")), "cell fedavg__d__seed42");
    }

    private static Dictionary<string, string> Markers(string cells) =>
        Directory.Exists(cells)
            ? Directory.GetDirectories(cells).Where(d => File.Exists(Path.Combine(d, "bench-cell.json")))
                .ToDictionary(d => Path.GetFileName(d), d => File.ReadAllText(Path.Combine(d, "bench-cell.json")))
            : [];

    private static double FinalHeldOutLoss(string metrics) =>
        File.ReadLines(metrics).Select(l => JsonNode.Parse(l)!).Last(l => l["type"]!.GetValue<string>() == "evaluation")["mean_held_out_loss"]!.GetValue<double>();
}
