using System.Globalization;

namespace FedLlm.Federation.Benchmark;

/// <summary>
/// This process's peak resident memory on Linux: VmHWM of /proc/self/status, which writing "5" to /proc/self/clear_refs
/// resets to the current size (Linux ≥ 4.0), so each benchmark cell gets its own peak. Null where /proc is unavailable.
/// </summary>
public static class PeakMemory
{
    /// <summary>Starts a new peak at the current resident size; false when the kernel does not allow it.</summary>
    public static bool Reset()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            return false;
        }
    }

    /// <summary>Peak resident bytes since the last <see cref="Reset"/> (or since the process started).</summary>
    public static long? Bytes()
    {
        const string status = "/proc/self/status";
        if (!File.Exists(status)) return null;
        foreach (string line in File.ReadLines(status))
        {
            if (!line.StartsWith("VmHWM:", StringComparison.Ordinal)) continue;
            string kilobytes = line["VmHWM:".Length..].Trim().Split(' ')[0];
            return long.TryParse(kilobytes, NumberStyles.Integer, CultureInfo.InvariantCulture, out long kb) ? kb * 1024 : null;
        }
        return null;
    }
}
