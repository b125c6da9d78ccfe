namespace FedLlm.Fuzz.Targets;

/// <summary>
/// A private folder for the files the parsers read (most entry points take a path, as the product uses them). It lives
/// under FEDLLM_FUZZ_SCRATCH when set (fuzz/run.sh sets it and removes it afterwards: afl kills its targets, so they
/// cannot clean up), else in /dev/shm when there is one, so a fuzzer's many writes per second stay in memory.
/// </summary>
public sealed class ScratchDirectory : IDisposable
{
    public ScratchDirectory()
    {
        string root = Environment.GetEnvironmentVariable("FEDLLM_FUZZ_SCRATCH") is { Length: > 0 } given ? given
            : Directory.Exists("/dev/shm") ? "/dev/shm" : System.IO.Path.GetTempPath();
        Path = Directory.CreateDirectory(System.IO.Path.Combine(root, $"fedllm-fuzz-{Environment.ProcessId}-{Guid.NewGuid():N}")).FullName;
    }

    public string Path { get; }

    /// <summary>Writes <paramref name="bytes"/> to <paramref name="relativePath"/> (folders created) and returns the full path.</summary>
    public string Write(string relativePath, byte[] bytes)
    {
        string path = System.IO.Path.Combine(Path, relativePath);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (IOException) { }
    }
}
