using System.Diagnostics;
using System.Text.Json.Nodes;

namespace FedLlm.Bench;

/// <summary>
/// Runs one suite of this benchmark program in a fresh process and returns its JSON: for figures that need their own
/// process (a federation size's peak memory, a native environment variable read when libtorch loads).
/// </summary>
public static class ChildBenchmark
{
    public static JsonNode Run(string suite, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath ?? "dotnet") { RedirectStandardOutput = true, UseShellExecute = false };
        // Under `dotnet FedLlm.Bench.dll` the process is the dotnet host; the apphost runs the bench directly.
        if (Path.GetFileNameWithoutExtension(start.FileName) == "dotnet") start.ArgumentList.Add(typeof(ChildBenchmark).Assembly.Location);
        start.ArgumentList.Add(suite);
        foreach (string argument in arguments) start.ArgumentList.Add(argument);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start the '{suite}' benchmark child process");
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"benchmark child '{suite} {string.Join(' ', start.ArgumentList.Skip(1))}' failed (exit {process.ExitCode})");
        return JsonNode.Parse(output)!;
    }
}
