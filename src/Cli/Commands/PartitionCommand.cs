using System.CommandLine;
using System.Globalization;
using FedLlm.Cli.Configuration;
using FedLlm.Cli.Output;
using FedLlm.Evaluation.Reporting;
using FedLlm.Federation.Configuration;
using FedLlm.Federation.Runs;
using FedLlm.Federation.Splits;
using Spectre.Console;

namespace FedLlm.Cli.Commands;

/// <summary>
/// <c>fedllm partition --config FILE [--out DIR]</c>: the client split a simulate run with the same config would use,
/// without loading a model: a table of clients, sizes and label histograms, a stacked-bar PNG and the split JSON.
/// </summary>
public static class PartitionCommand
{
    public const string SplitFileName = "split.json";
    public const string PlotFileName = "split.png";

    public static Command Build()
    {
        var command = new Command("partition", "Preview the client split of a simulate config (no model): table, stacked-bar PNG and split JSON");
        var config = new Option<FileInfo?>("--config", "-c") { Description = "The YAML config `fedllm simulate` would use (only data and split matter)" };
        var output = new Option<DirectoryInfo?>("--out") { Description = "Folder for split.json and split.png (default: <output_directory>/<name>-partition)" };
        command.Add(config);
        var set = ConfigFlags.Enable(command);
        command.Add(output);
        command.SetAction(parse =>
        {
            var simulation = RunConfigFile.Load(parse.GetValue(config)?.FullName, ConfigFlags.Collect(parse, set)).Run;
            // Partition never loads the model, so a config without one is fine here.
            var data = SimulateCommand.PrepareData(simulation, RunPurpose.Partition);
            string folder = Directory.CreateDirectory(parse.GetValue(output)?.FullName ?? simulation.RunDirectory + "-partition").FullName;

            var (labelField, summary) = Summarise(simulation, data);
            data.Split.Save(Path.Combine(folder, SplitFileName));
            WritePlot(Path.Combine(folder, PlotFileName), summary, labelField);
            Print(summary, data, labelField);
            ConsoleOutput.Info($"Split: {Path.Combine(folder, SplitFileName)}");
            ConsoleOutput.Info($"Plot: {Path.Combine(folder, PlotFileName)}");
            return 0;
        });
        return command;
    }

    /// <summary>Histogram by the split's label field for a label split; otherwise by category when every record has one.</summary>
    private static (string? Field, SplitSummary Summary) Summarise(RunConfig config, RunData data)
    {
        bool labelSplit = SplitMethods.Configurable.Parse(config.Split.Method, "split.method") == SplitMethods.DirichletLabel;
        foreach (string field in labelSplit ? [config.Split.Field, "category"] : new[] { "category" })
        {
            var values = RunData.FieldValues(data.Records, field);
            if (values.All(v => v is not null)) return (field, SplitSummary.Create(data.Split, values.Select(v => v!).ToList()));
        }
        return (null, SplitSummary.Create(data.Split));
    }

    private static void WritePlot(string path, SplitSummary summary, string? labelField)
    {
        // Many clients: ids on the axis keep it legible (the table and split.json carry the names).
        var categories = summary.ClientNames.Count > 30 || summary.ClientNames.Any(n => n.Length > 12)
            ? Enumerable.Range(0, summary.ClientCount).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToList()
            : summary.ClientNames.ToList();
        var groups = summary.Labels.Count == 0
            ? [new BarGroup("records", [.. summary.Sizes.Select(s => (double)s)])]
            : summary.Labels.Select((label, j) => new BarGroup(label, [.. summary.LabelHistogram.Select(h => (double)h[j])])).ToList();
        PlotWriter.StackedBars(path, $"{summary.Split.Method} split: {summary.ClientCount} clients, {summary.AssignedCount} records",
            "client", labelField is null ? "records" : $"records by {labelField}", categories, groups);
    }

    private static void Print(SplitSummary summary, RunData data, string? labelField)
    {
        var table = ResultConsole.Table()
            .Title($"{summary.Split.Method} split: {summary.ClientCount} clients, {summary.AssignedCount} records" +
                   (labelField is null ? "" : $", label histogram by {labelField}"))
            .AddColumn(new TableColumn("client").RightAligned()).AddColumn("name")
            .AddColumn(new TableColumn("records").RightAligned())
            .AddColumn(new TableColumn("train").RightAligned())
            .AddColumn(new TableColumn("held-out").RightAligned());
        foreach (string label in summary.Labels) table.AddColumn(new TableColumn(Markup.Escape(label)).RightAligned());
        for (int c = 0; c < summary.ClientCount; c++)
        {
            var cells = new List<string>
            {
                c.ToString(CultureInfo.InvariantCulture), Markup.Escape(summary.ClientNames[c]),
                summary.Sizes[c].ToString(CultureInfo.InvariantCulture),
                data.Clients[c].Train.Count.ToString(CultureInfo.InvariantCulture),
                data.Clients[c].HeldOut.Count.ToString(CultureInfo.InvariantCulture),
            };
            cells.AddRange(summary.LabelHistogram[c].Select(n => n.ToString(CultureInfo.InvariantCulture)));
            table.AddRow([.. cells]);
        }
        var console = ResultConsole.Create();
        console.Write(table);
        string line = string.Create(CultureInfo.InvariantCulture,
            $"{summary.ClientCount} clients; records per client {summary.MinSize}–{summary.MaxSize}, mean {summary.MeanSize:F1} ± {summary.StandardDeviation:F1}");
        if (data.GlobalTest.Count > 0) line += $"; global test set {data.GlobalTest.Count} records";
        console.WriteLine(line);
    }
}
