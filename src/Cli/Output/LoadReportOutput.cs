using FedLlm.Data.Loading;

namespace FedLlm.Cli.Output;

/// <summary>Tells the user what a dataset load skipped: each kept reason (file:line: problem) and a count.</summary>
public static class LoadReportOutput
{
    public static void Print(LoadReport report)
    {
        if (report.Skipped == 0) return;
        foreach (string reason in report.SkipReasons) ConsoleOutput.Info($"skipped {reason}");
        if (report.Skipped > report.SkipReasons.Count)
            ConsoleOutput.Info($"... and {report.Skipped - report.SkipReasons.Count} more");
        ConsoleOutput.Info($"{report.Path}: skipped {report.Skipped} malformed rows of {report.Read} (kept {report.Kept})");
    }
}
