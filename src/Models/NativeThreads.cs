using System.Runtime.InteropServices;

namespace FedLlm.Models;

/// <summary>
/// How libtorch's OpenMP threads wait between parallel regions. By default GNU OpenMP keeps a finished region's threads
/// spinning for a while; on a CPU that also runs our own .NET threads (LoRA dropout masks, aggregation, the fused
/// decoder, gRPC) or several FedLlm processes (a simulation's server and members on one machine), those spinning
/// threads take the cores the real work needs. Measured on the 2-core project machine: a LoRA step took 2.6–3.1 s
/// with passive waiting against 6.2–8.6 s with the default (docs/performance.md). FedLlm therefore asks for
/// <c>OMP_WAIT_POLICY=PASSIVE</c> unless the user set the variable. It must be in the native environment before
/// libtorch (and its libgomp) is loaded, so every entry point calls <see cref="ConfigureBeforeLibtorchLoads"/> first.
/// </summary>
public static class NativeThreads
{
    public const string WaitPolicyVariable = "OMP_WAIT_POLICY";
    public const string WaitPolicy = "PASSIVE";

    /// <summary>Sets the wait policy in the process's native environment unless already set; idempotent.</summary>
    public static void ConfigureBeforeLibtorchLoads()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return; // libtorch's OpenMP there is not GNU's
        if (Environment.GetEnvironmentVariable(WaitPolicyVariable) is not null) return;
        // Environment.SetEnvironmentVariable changes only .NET's copy; libgomp reads the C library's environment.
        _ = SetNativeVariable(WaitPolicyVariable, WaitPolicy, overwrite: 0);
        Environment.SetEnvironmentVariable(WaitPolicyVariable, WaitPolicy);
    }

    [DllImport("libc", EntryPoint = "setenv", CharSet = CharSet.Ansi)]
    private static extern int SetNativeVariable(string name, string value, int overwrite);
}
