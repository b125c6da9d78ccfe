using System.Globalization;

namespace FedLlm.Bench;

/// <summary>Resident memory of this process from /proc/self/status (Linux), which counts native (libtorch) memory too.</summary>
public static class ProcessMemory
{
    /// <summary>VmHWM: the peak resident set size so far, in bytes; −1 where /proc is unavailable.</summary>
    public static long PeakResidentBytes() => Read("VmHWM:");

    public static long ResidentBytes() => Read("VmRSS:");

    private static long Read(string field)
    {
        const string status = "/proc/self/status";
        if (!File.Exists(status)) return -1;
        foreach (string line in File.ReadLines(status))
        {
            if (!line.StartsWith(field, StringComparison.Ordinal)) continue;
            string[] parts = line[field.Length..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return long.Parse(parts[0], CultureInfo.InvariantCulture) * 1024; // reported in kB
        }
        return -1;
    }
}
