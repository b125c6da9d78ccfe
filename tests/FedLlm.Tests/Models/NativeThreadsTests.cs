using System.Runtime.InteropServices;
using FedLlm.Models;

namespace FedLlm.Tests.Models;

public sealed class NativeThreadsTests
{
    [Fact]
    public void The_wait_policy_reaches_the_native_environment_libgomp_reads_and_a_users_own_value_is_kept()
    {
        // /proc/self/environ holds the environment the test host started with, before any setenv.
        string? userValue = File.ReadAllText("/proc/self/environ").Split('\0')
            .FirstOrDefault(entry => entry.StartsWith(NativeThreads.WaitPolicyVariable + "=", StringComparison.Ordinal))?
            .Substring(NativeThreads.WaitPolicyVariable.Length + 1);
        string expected = userValue ?? NativeThreads.WaitPolicy;

        Assert.Equal(expected, Marshal.PtrToStringAnsi(NativeGetEnvironmentVariable(NativeThreads.WaitPolicyVariable)));
        Assert.Equal(expected, Environment.GetEnvironmentVariable(NativeThreads.WaitPolicyVariable));
    }

    [DllImport("libc", EntryPoint = "getenv", CharSet = CharSet.Ansi)]
    private static extern IntPtr NativeGetEnvironmentVariable(string name);
}
