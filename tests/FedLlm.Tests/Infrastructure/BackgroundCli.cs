using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace FedLlm.Tests.Infrastructure;

/// <summary>A <c>fedllm</c> process left running (a server or a client) whose output can be watched while it runs.</summary>
public sealed class BackgroundCli : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly string _label;

    private BackgroundCli(string label, string workingDirectory, string[] args, IReadOnlyDictionary<string, string>? environment)
    {
        _label = label;
        _process = new Process { StartInfo = CliProcess.StartInfo(workingDirectory, args, environment) };
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public static BackgroundCli Start(string label, string workingDirectory, params string[] args) => new(label, workingDirectory, args, null);

    public static BackgroundCli Start(string label, string workingDirectory, IReadOnlyDictionary<string, string>? environment, params string[] args) =>
        new(label, workingDirectory, args, environment);

    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    public bool HasExited => _process.HasExited;

    public int ProcessId => _process.Id;

    public int ExitCode => _process.ExitCode;

    /// <summary>Waits until the output contains <paramref name="text"/>; fails with the output so far when it never does.</summary>
    public void WaitFor(string text, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!Output.Contains(text, StringComparison.Ordinal))
        {
            if (clock.Elapsed > timeout || (_process.HasExited && !Output.Contains(text, StringComparison.Ordinal) && clock.Elapsed > TimeSpan.FromSeconds(1)))
                throw new TimeoutException($"{_label} never printed '{text}' (exited: {_process.HasExited}). Output:\n{Output}");
            Thread.Sleep(100);
        }
    }

    /// <summary>Waits for a normal exit and returns the exit code; kills and fails after the timeout.</summary>
    public int WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            Kill();
            throw new TimeoutException($"{_label} did not finish within {timeout.TotalSeconds:0} s. Output:\n{Output}");
        }
        _process.WaitForExit(); // flushes the asynchronous output readers
        return _process.ExitCode;
    }

    /// <summary>Asks the process to stop (SIGTERM), as a service manager or Ctrl+C would.</summary>
    public void Terminate()
    {
        if (!_process.HasExited && Signals.Send(_process.Id, Signals.Terminate) != 0) throw new InvalidOperationException($"could not signal {_label}");
    }

    /// <summary>Kills the process as a crash would (no graceful shutdown).</summary>
    public void Kill()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }

    /// <summary>A loopback TCP port that was free a moment ago.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }
}
