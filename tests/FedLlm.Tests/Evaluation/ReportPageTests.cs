using FedLlm.Evaluation.Runner;
using FedLlm.Federation.Runs;
using FedLlm.Tests.Federation;
using FedLlm.Tests.Generation;
using FedLlm.Tests.Infrastructure;
using Xunit.Abstractions;

namespace FedLlm.Tests.Evaluation;

/// <summary>
/// The HTML reports of an evaluation and of a run, opened in real headless Chromium: the tables and the charts render
/// (as SVG, drawn by the page's own script) and the page logs no console error; a screenshot of each is kept under
/// TestResults/screenshots.
/// </summary>
[Collection(SimulationCollection.Name)]
public class ReportPageTests(TinySimulationModel simulation, ITestOutputHelper output) : IClassFixture<TinyServedModel>
{
    [ChromiumFact]
    public async Task AnEvaluationReportRendersItsTablesAndChartsWithoutConsoleErrors()
    {
        using var tiny = new TinyServedModel();
        using var temp = new TempDirectory();
        string data = temp.File("qa.jsonl");
        File.WriteAllLines(data, Enumerable.Range(0, 5).Select(i => $$"""{"q": "What is {{i}} plus one?", "a": "{{i + 1}}", "label": "{{(i % 2 == 0 ? "even" : "odd")}}"}"""));
        var suite = new FedLlm.Evaluation.Suites.EvalSuite
        {
            Name = "page",
            BootstrapSamples = 100,
            Tasks =
            [
                new() { Name = "sum", Metric = "exact_match", Data = data, Prompt = "{q}", Target = "{a}", Extract = "last_number", MaxNewTokens = 4 },
                new() { Name = "parity", Metric = "classification", Data = data, Prompt = "{q}", Label = "label", Labels = ["even", "odd"] },
                new() { Name = "loss", Metric = "perplexity", Data = data, Prompt = "{q}", Target = "{a}" },
            ],
        };
        var results = await new EvalRunner(suite, new EvalTarget(tiny.ModelDirectory, [("a", tiny.AdapterA), ("b", tiny.AdapterB)], IncludeBase: true)).RunAsync();
        EvalReport.Write(temp.File("eval"), suite, results);

        await using var browser = await HeadlessChromium.StartAsync();
        await browser.OpenAsync(new Uri(temp.File("eval/report.html")).AbsoluteUri, TimeSpan.FromSeconds(1));
        string screenshot = HeadlessChromium.ScreenshotPath("eval-report.png");
        await browser.ScreenshotAsync(screenshot);
        output.WriteLine($"screenshot: {screenshot}");

        Assert.Empty(browser.Errors);
        Assert.True(await browser.CountAsync("table") >= 1 + suite.Tasks.Count, "a summary table and one per task");
        Assert.Equal(suite.Tasks.Count, await browser.CountAsync("figure.chart svg"));
        // Three models: every chart has a bar per model and aggregate, with interval whiskers.
        Assert.True(await browser.CountAsync("figure.chart svg rect") >= 3 * suite.Tasks.Count);
        Assert.True(await browser.CountAsync("figure.chart svg line.whisker") > 0);
        Assert.Equal(0, await browser.CountAsync("figure.chart:empty"));
    }

    [ChromiumFact]
    public async Task ARunReportRendersItsTablesCurvesAndClientBarsWithoutConsoleErrors()
    {
        using var temp = new TempDirectory();
        var config = simulation.Config(temp.Path, "fedavg", "page", rounds: 3);
        config = config with { Evaluation = config.Evaluation with { BaseModel = true, Every = 1 } };
        var result = await simulation.RunAsync(config);
        string page = result.Run.File("report.html");
        Assert.True(File.Exists(page));

        await using var browser = await HeadlessChromium.StartAsync();
        await browser.OpenAsync(new Uri(page).AbsoluteUri, TimeSpan.FromSeconds(1));
        string screenshot = HeadlessChromium.ScreenshotPath("run-report.png");
        await browser.ScreenshotAsync(screenshot);
        output.WriteLine($"screenshot: {screenshot}");

        Assert.Empty(browser.Errors);
        Assert.True(await browser.CountAsync("table") >= 3, "configuration, summary and per-client tables");
        // Train loss, held-out loss, accuracy, bytes and the per-client bars: all drawn, none left as a PNG.
        Assert.True(await browser.CountAsync("figure.chart svg") >= 5);
        Assert.True(await browser.CountAsync("figure.chart svg polyline") >= 3);
        Assert.True(await browser.CountAsync("figure.chart svg rect") >= 4);
        Assert.Equal(0, await browser.CountAsync("img"));
        Assert.Equal(1, await browser.CountAsync("details.config pre"));
        Assert.Contains("\"strategy\"", (await browser.EvaluateAsync("document.querySelector('details.config pre').textContent"))!.GetValue<string>());
    }
}
