using FedLlm.Cli;
using FedLlm.Models;

NativeThreads.ConfigureBeforeLibtorchLoads();
return await CliApp.RunAsync(args);
