using System.Diagnostics;

namespace FedLlm.Tests.Infrastructure;

/// <summary>Runs the real <c>fedllm</c> executable (built next to the tests) as a separate process.</summary>
public static class CliProcess
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static Result Run(params string[] args) => RunIn(null, args);

    /// <summary><c>fedllm init</c> of a tiny random model into <paramref name="folder"/>; throws with stderr if it fails.</summary>
    public static string InitTinyModel(string folder, int seed = 3)
    {
        var init = Run("init", folder, "--preset", "tiny", "--seed", seed.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (init.ExitCode != 0) throw new InvalidOperationException("fedllm init failed: " + init.Stderr);
        return folder;
    }

    /// <summary>How every test starts the real <c>fedllm</c>: <c>dotnet fedllm.dll ARGS</c> with both streams redirected.</summary>
    /// <param name="environment">Extra environment variables for the process (e.g. a test-only setting).</param>
    public static ProcessStartInfo StartInfo(string workingDirectory, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "fedllm.dll"));
        foreach (string arg in args) start.ArgumentList.Add(arg);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;
        return start;
    }

    public static Result RunIn(string? workingDirectory, params string[] args) => RunIn(workingDirectory, null, args);

    public static Result RunIn(string? workingDirectory, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var start = StartInfo(workingDirectory ?? AppContext.BaseDirectory, args, environment);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start fedllm");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"fedllm {string.Join(' ', args)} did not finish within 5 minutes");
        }
        return new Result(process.ExitCode, stdout.Result, stderr.Result);
    }
}
