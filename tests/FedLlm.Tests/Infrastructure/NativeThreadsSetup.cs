using System.Runtime.CompilerServices;
using FedLlm.Models;

namespace FedLlm.Tests.Infrastructure;

/// <summary>The test host loads libtorch like any FedLlm entry point, so it sets the same OpenMP wait policy first.</summary>
internal static class NativeThreadsSetup
{
    [ModuleInitializer]
    internal static void ConfigureBeforeLibtorchLoads() => NativeThreads.ConfigureBeforeLibtorchLoads();
}
