using System.Globalization;

namespace FedLlm.Tests.Infrastructure;

/// <summary>
/// Reads another process's anonymous memory (heap, GC heap, stacks) through /proc/PID/mem, to show that a secret is or
/// is not held by it. Linux only; the reader must be allowed to ptrace the target (same user; the test host is its parent).
/// </summary>
public static class ProcessMemory
{
    /// <summary>Whether any readable anonymous mapping of <paramref name="processId"/> contains <paramref name="pattern"/>.</summary>
    public static bool Contains(int processId, ReadOnlySpan<byte> pattern)
    {
        using var memory = new FileStream($"/proc/{processId}/mem", FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.None);
        var buffer = new byte[16 << 20];
        foreach (var (start, end) in AnonymousReadableRegions(processId))
        {
            // Read in windows that overlap by pattern.Length − 1 bytes, so a match across a boundary is still found.
            for (long offset = start; offset < end; offset += buffer.Length - pattern.Length + 1)
            {
                int want = (int)Math.Min(buffer.Length, end - offset);
                int got;
                try
                {
                    memory.Position = offset;
                    got = memory.ReadAtLeast(buffer.AsSpan(0, want), want, throwOnEndOfStream: false);
                }
                catch (IOException)
                {
                    break; // a region unmapped or guarded since /proc/PID/maps was read
                }
                if (buffer.AsSpan(0, got).IndexOf(pattern) >= 0) return true;
                if (got < want) break;
            }
        }
        return false;
    }

    /// <summary>Stops the process (SIGSTOP) so it cannot finish or change while it is inspected; dispose to continue it.</summary>
    public static IDisposable Suspend(int processId)
    {
        if (Signals.Send(processId, Signals.Stop) != 0) throw new InvalidOperationException($"could not stop process {processId}");
        return new Resumer(processId);
    }

    private static IEnumerable<(long Start, long End)> AnonymousReadableRegions(int processId)
    {
        foreach (string line in File.ReadLines($"/proc/{processId}/maps"))
        {
            // address perms offset dev inode [path]
            var fields = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 5 || fields[1][0] != 'r') continue;
            string path = fields.Length == 6 ? fields[5].Trim() : "";
            if (path.Length > 0 && !path.StartsWith('[')) continue; // file-backed: code and read-only data, not secrets
            if (path is "[vvar]" or "[vsyscall]" or "[vdso]") continue;
            var range = fields[0].Split('-');
            yield return (long.Parse(range[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture),
                long.Parse(range[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture));
        }
    }

    private sealed class Resumer(int processId) : IDisposable
    {
        public void Dispose() => Signals.Send(processId, Signals.Continue);
    }
}
