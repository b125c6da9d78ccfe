using Spectre.Console;

namespace FedLlm.Cli.Output;

/// <summary>Console conventions: results to stdout, diagnostics to stderr, Spectre markup only on interactive terminals.</summary>
public static class ConsoleOutput
{
    public static bool IsInteractive => !Console.IsOutputRedirected && !Console.IsErrorRedirected && AnsiConsole.Profile.Capabilities.Interactive;

    public static void Info(string message) => Console.Error.WriteLine(message);

    public static void Error(Exception e, bool verbose)
    {
        // Unwrap reflection/initialiser wrappers so the message names the real problem.
        var root = e;
        while (root is TypeInitializationException or System.Reflection.TargetInvocationException or AggregateException && root.InnerException is not null)
            root = root.InnerException!;
        // A stop asked for (Ctrl-C, SIGTERM) is not a failure to explain: what matters is that the run folder resumes.
        Console.Error.WriteLine(root is OperationCanceledException ? "interrupted; a resumed run continues from the newest checkpoint" : $"error: {root.Message}");
        if (verbose) Console.Error.WriteLine(e.ToString());
    }

    /// <summary>Runs <paramref name="work"/> with a progress bar on a terminal, or with periodic plain lines otherwise.</summary>
    public static T WithProgress<T>(string description, double total, Func<IProgress<double>, T> work)
    {
        if (!IsInteractive)
        {
            var plain = new PlainProgress(description, total);
            return work(plain);
        }
        T result = default!;
        AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                var task = context.AddTask(Markup.Escape(description), maxValue: total);
                result = work(new Progress<double>(value => task.Value = value));
                task.Value = total;
            });
        return result;
    }

    /// <summary>Progress for logs and pipes: a line at each 10% step, written synchronously.</summary>
    private sealed class PlainProgress(string description, double total) : IProgress<double>
    {
        private int _lastDecile = -1;

        public void Report(double value)
        {
            int decile = total <= 0 ? 10 : (int)Math.Floor(10 * Math.Clamp(value / total, 0, 1));
            if (decile <= _lastDecile) return;
            _lastDecile = decile;
            Console.Error.WriteLine($"{description}: {decile * 10}%");
        }
    }
}
