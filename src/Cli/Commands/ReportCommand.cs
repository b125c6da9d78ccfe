using System.CommandLine;
using FedLlm.Cli.Output;
using FedLlm.Federation.Reporting;
using FedLlm.Federation.Runs;

namespace FedLlm.Cli.Commands;

/// <summary><c>fedllm report RUN_DIR</c>: (re)writes a run's report.md and its PNG curves from its metrics.jsonl.</summary>
public static class ReportCommand
{
    public static Command Build()
    {
        var command = new Command("report", "Regenerate a run's report.md and PNG curves from its config.json, split.json and metrics.jsonl");
        var runDir = new Argument<DirectoryInfo>("run-dir") { Description = "A run folder written by `fedllm simulate` or the demo" };
        command.Add(runDir);
        command.SetAction(parse =>
        {
            var directory = parse.GetRequiredValue(runDir);
            if (!directory.Exists) throw new DirectoryNotFoundException($"{directory.FullName}: no such run folder");
            string report = RunReport.Write(new RunDirectory(directory.FullName));
            Console.Out.WriteLine(report);
            return 0;
        });
        return command;
    }
}
