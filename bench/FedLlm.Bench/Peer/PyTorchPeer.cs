using System.Diagnostics;
using System.Text.Json.Nodes;

namespace FedLlm.Bench.Peer;

/// <summary>
/// The PyTorch eager peer (bench/peer/qwen2_peer.py) as a long-lived child process: one command line in, one JSON line
/// out, so its measurements alternate with FedLlm's while both processes stay warm. Only the bench uses Python.
/// </summary>
public sealed class PyTorchPeer : IDisposable
{
    /// <summary>Debian's interpreter, where python3-torch installs; a pyenv or venv python3 earlier on PATH has no torch.</summary>
    public const string DefaultPython = "/usr/bin/python3";

    /// <summary>Variables that pin Debian's OpenBLAS to a slower kernel on some machines; unset for the peer.</summary>
    public static readonly IReadOnlyList<string> RemovedVariables = ["OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"];

    private readonly Process _process;
    private readonly Queue<string> _stderrTail = new();

    private PyTorchPeer(Process process)
    {
        _process = process;
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (_stderrTail)
            {
                _stderrTail.Enqueue(e.Data);
                if (_stderrTail.Count > 20) _stderrTail.Dequeue();
            }
        };
        _process.BeginErrorReadLine();
    }

    /// <summary>The script, copied next to the bench's (and the tests') assembly at build time.</summary>
    public static string ScriptPath => Path.Combine(AppContext.BaseDirectory, "peer", "qwen2_peer.py");

    /// <summary>The tuned environment the peer runs in: idle OpenMP threads sleep, one thread per core.</summary>
    public static IReadOnlyDictionary<string, string> TunedVariables => new Dictionary<string, string>
    {
        ["OMP_WAIT_POLICY"] = "PASSIVE",
        ["OMP_NUM_THREADS"] = Environment.ProcessorCount.ToString(),
        ["OPENBLAS_NUM_THREADS"] = Environment.ProcessorCount.ToString(),
    };

    /// <summary>Why the peer cannot run with <paramref name="python"/>, naming what is missing; null when it can.</summary>
    public static string? Unavailable(string python)
    {
        if (!File.Exists(ScriptPath)) return $"the peer script is missing at {ScriptPath} (the bench build copies bench/peer/qwen2_peer.py there)";
        if (!File.Exists(python)) return $"no Python at {python}: the peer needs the Debian package python3-torch (apt-get install python3-torch)";
        var probe = new ProcessStartInfo(python, ["-c", "import torch"]) { RedirectStandardError = true, RedirectStandardOutput = true };
        try
        {
            using var process = Process.Start(probe)!;
            string error = process.StandardError.ReadToEnd();
            if (!process.WaitForExit(TimeSpan.FromMinutes(1))) { process.Kill(); return $"{python} -c 'import torch' did not finish within a minute"; }
            if (process.ExitCode == 0) return null;
            string last = error.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? $"exit code {process.ExitCode}";
            return $"{python} cannot import torch ({last.Trim()}): the peer needs the Debian package python3-torch (apt-get install python3-torch)";
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return $"{python} cannot be started ({e.Message})";
        }
    }

    /// <summary>Starts the peer on the model folder in the tuned environment; the caller checked <see cref="Unavailable"/>.</summary>
    public static PyTorchPeer Start(string python, string modelDirectory)
    {
        var start = new ProcessStartInfo(python, ["-u", ScriptPath, modelDirectory])
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (string name in RemovedVariables) start.Environment.Remove(name);
        foreach (var (name, value) in TunedVariables) start.Environment[name] = value;
        return new PyTorchPeer(Process.Start(start)!);
    }

    /// <summary>Sends one command and returns its JSON reply; an error reply or a dead peer is an exception naming the command.</summary>
    public JsonObject Ask(string command)
    {
        _process.StandardInput.WriteLine(command);
        _process.StandardInput.Flush();
        string? line = _process.StandardOutput.ReadLine();
        if (line is null)
        {
            _process.WaitForExit(TimeSpan.FromSeconds(5));
            string tail;
            lock (_stderrTail) tail = string.Join("\n", _stderrTail);
            throw new InvalidOperationException($"the PyTorch peer exited during '{command}': {tail}");
        }
        var reply = JsonNode.Parse(line) as JsonObject ?? throw new InvalidOperationException($"the PyTorch peer answered '{command}' with {line}");
        if (reply["error"] is { } error) throw new InvalidOperationException($"the PyTorch peer failed '{command}': {error}");
        return reply;
    }

    /// <summary>The seconds the peer reports for <paramref name="command"/>: its own clock around the work only.</summary>
    public double Seconds(string command) => Ask(command)["seconds"]!.GetValue<double>();

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.StandardInput.WriteLine("quit");
                _process.StandardInput.Flush();
            }
        }
        catch (IOException) { } // the peer already closed its input
        if (!_process.WaitForExit(TimeSpan.FromSeconds(10))) _process.Kill();
        _process.Dispose();
    }
}
