using System.Runtime.InteropServices;

namespace FedLlm.Tests.Infrastructure;

/// <summary>POSIX signals to another process (Linux numbers), for tests of how fedllm stops and resumes.</summary>
public static class Signals
{
    public const int Terminate = 15;
    public const int Stop = 19;
    public const int Continue = 18;

    /// <summary>Sends <paramref name="signal"/> to <paramref name="processId"/>; 0 on success.</summary>
    public static int Send(int processId, int signal) => Kill(processId, signal);

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
