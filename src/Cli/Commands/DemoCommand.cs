using System.CommandLine;
using System.Globalization;
using FedLlm.Cli.Output;
using FedLlm.Federation.Demo;
using Spectre.Console;

namespace FedLlm.Cli.Commands;

/// <summary><c>fedllm demo</c> (also what <c>fedllm</c> does with no arguments): the built-in federated fine-tuning demo.</summary>
public static class DemoCommand
{
    public static readonly Option<DirectoryInfo> Output = new("--output", "-o")
    {
        Description = "Folder for the demo's runs",
        DefaultValueFactory = _ => new DirectoryInfo("runs"),
    };

    public static readonly Option<DirectoryInfo> Cache = new("--cache")
    {
        Description = "Folder where the demo's tiny base model is built once and reused",
        DefaultValueFactory = _ => new DirectoryInfo(DefaultCache()),
    };

    public static Command Build()
    {
        var command = new Command("demo", "Federated LoRA fine-tuning on built-in data: base vs local-only vs federated, on every client's held-out data");
        command.Add(Output);
        command.Add(Cache);
        command.SetAction(RunAsync);
        return command;
    }

    public static async Task<int> RunAsync(ParseResult parse, CancellationToken cancellation)
    {
        var observer = new ConsoleRunObserver();
        var report = await new DemoRunner(parse.GetValue(Output)!.FullName, parse.GetValue(Cache)!.FullName, observer).RunAsync(cancellation);
        Print(report);
        return 0;
    }

    private static void Print(DemoReport report)
    {
        string Cell(double accuracy, double loss) =>
            $"{accuracy.ToString("P0", CultureInfo.InvariantCulture)} / {loss.ToString("F3", CultureInfo.InvariantCulture)}";

        var table = ResultConsole.Table().Title("Held-out exact-match accuracy / loss per client (higher / lower is better)")
            .AddColumn("client").AddColumn(new TableColumn("held-out").RightAligned())
            .AddColumn(new TableColumn("base model").RightAligned())
            .AddColumn(new TableColumn($"local-only (avg of {report.Rows.Count})").RightAligned())
            .AddColumn(new TableColumn("federated (FedAvg)").RightAligned());
        foreach (var row in report.Rows)
            table.AddRow(row.Client, row.Examples.ToString(CultureInfo.InvariantCulture), Cell(row.Base.Accuracy, row.Base.Loss),
                Cell(row.LocalAverage.Accuracy, row.LocalAverage.Loss), Cell(row.Federated.Accuracy, row.Federated.Loss));
        double Mean(Func<DemoRow, double> pick) => report.Rows.Average(pick);
        table.AddRow("[bold]mean[/]", "", Cell(Mean(r => r.Base.Accuracy), Mean(r => r.Base.Loss)),
            Cell(Mean(r => r.LocalAverage.Accuracy), Mean(r => r.LocalAverage.Loss)),
            $"[bold]{Cell(Mean(r => r.Federated.Accuracy), Mean(r => r.Federated.Loss))}[/]");

        ResultConsole.Create().Write(table);
        int beaten = report.Rows.Count(r => r.Federated.Loss < r.LocalAverage.Loss && r.Federated.Loss < r.Base.Loss);
        Console.Out.WriteLine($"Federated beats local-only and base on held-out loss for {beaten} of {report.Rows.Count} clients; " +
                              $"mean accuracy {Mean(r => r.Federated.Accuracy):P0} vs {Mean(r => r.LocalAverage.Accuracy):P0} local-only and {Mean(r => r.Base.Accuracy):P0} base.");
        Console.Out.WriteLine($"Federated run (global adapter, metrics, split): {report.FederatedRun}");
        Console.Out.WriteLine($"Local-only run: {report.LocalRun}");
        Console.Out.WriteLine($"Base model: {report.BaseModel}");
        Console.Out.WriteLine($"Report: {report.ReportFile}");
        Console.Out.WriteLine($"Done in {report.Elapsed.TotalSeconds:F0}s.");
    }

    private static string DefaultCache()
    {
        string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        string root = string.IsNullOrEmpty(xdg) ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache") : xdg;
        return Path.Combine(root, "fedllm");
    }
}
